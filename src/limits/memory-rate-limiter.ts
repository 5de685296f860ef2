import { decide, windowAt, type RateDecision, type RateLimiter, type RateRule } from './rate-limiter.js';

export interface MemoryRateLimiterOptions {
  /** counters held at most; past it expired ones are swept, then the oldest dropped (default 100,000) */
  maxKeys?: number;
  /** how often expired counters are swept, ms (default 60 s) */
  sweepMs?: number;
  /** injectable clock for tests */
  now?: () => number;
}

interface Counter {
  used: number;
  endsAt: number;
}

/**
 * Counters in this process only (no REDIS_URL): each instance limits on its own. Bounded, so
 * a flood of distinct IPs cannot grow it without end; dropping the oldest counter under that
 * pressure forgives one caller, which beats running out of memory.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly counters = new Map<string, Counter>();
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.maxKeys = options.maxKeys ?? 100_000;
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), options.sweepMs ?? 60_000);
    this.sweeper.unref();
  }

  async consume(key: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    const now = this.now();
    const counter = this.counter(key, rule, now);
    const allowed = counter.used + cost <= rule.limit;
    if (allowed) counter.used += cost;
    return decide(rule, counter.used, allowed, counter.endsAt, now);
  }

  async add(key: string, rule: RateRule, amount: number): Promise<void> {
    this.counter(key, rule, this.now()).used += amount;
  }

  async peek(key: string, rule: RateRule): Promise<RateDecision> {
    const now = this.now();
    const { endsAt } = windowAt(rule, now);
    const current = this.counters.get(key);
    const used = current && current.endsAt === endsAt ? current.used : 0;
    return decide(rule, used, used < rule.limit, endsAt, now);
  }

  async peekThenConsume(gate: { key: string; rule: RateRule }, key: string, rule: RateRule, cost = 1): Promise<{ gate: RateDecision; taken?: RateDecision }> {
    const peeked = await this.peek(gate.key, gate.rule);
    if (!peeked.allowed) return { gate: peeked };
    return { gate: peeked, taken: await this.consume(key, rule, cost) };
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.counters.clear();
  }

  get size(): number {
    return this.counters.size;
  }

  /** The counter of the current window, a fresh one when the stored one belongs to an older window. */
  private counter(key: string, rule: RateRule, now: number): Counter {
    const { endsAt } = windowAt(rule, now);
    const current = this.counters.get(key);
    if (current && current.endsAt === endsAt) return current;
    if (current) this.counters.delete(key);
    else if (this.counters.size >= this.maxKeys) this.makeRoom(now);
    const fresh = { used: 0, endsAt };
    this.counters.set(key, fresh);
    return fresh;
  }

  private makeRoom(now: number): void {
    this.sweep(now);
    // Map iterates in insertion order: the first key is the oldest counter
    if (this.counters.size >= this.maxKeys) this.counters.delete(this.counters.keys().next().value!);
  }

  private sweep(now = this.now()): void {
    for (const [key, counter] of this.counters) if (counter.endsAt <= now) this.counters.delete(key);
  }
}
