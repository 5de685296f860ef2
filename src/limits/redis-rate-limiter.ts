import type { Cluster, Redis } from 'ioredis';
import { LuaScript } from '../store/redis/lua-script.js';
import { decide, windowAt, type RateDecision, type RateLimiter, type RateRule } from './rate-limiter.js';
import { closeRedisClient } from '../store/redis/close-redis-client.js';

export interface RedisRateLimiterOptions {
  /** prepended to every key (REDIS_KEY_PREFIX), then `rl:` */
  prefix: string;
  /** injectable clock for tests; windows are computed here, so instances need roughly synced clocks (NTP) */
  now?: () => number;
  /** quit the client on close (true when this limiter created it) */
  ownsClient?: boolean;
}

/**
 * Check-and-consume in one script, so two instances never both take the last unit:
 * KEYS[1] counter; ARGV cost, limit, ttl ms. Returns [allowed (1/0), used].
 * The TTL is set with the first unit, so an abandoned window's key expires with it.
 */
const CONSUME = new LuaScript(`
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[1])
if used + cost > tonumber(ARGV[2]) then return {0, used} end
used = redis.call('INCRBY', KEYS[1], cost)
if used == cost then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1, used}
`);

/**
 * `peek` of a gate counter, then CONSUME's check-and-consume when the gate allows: the chat
 * admission (today's tokens, then this minute's chats) in one round trip instead of two.
 * KEYS[1] gate counter, KEYS[2] counter; ARGV gate limit, cost, limit, ttl ms.
 * Returns [gate used, taken (1/0, -1 = gate refused), used].
 */
const PEEK_THEN_CONSUME = new LuaScript(`
local gated = tonumber(redis.call('GET', KEYS[1]) or '0')
if gated >= tonumber(ARGV[1]) then return {gated, -1, 0} end
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
local cost = tonumber(ARGV[2])
if used + cost > tonumber(ARGV[3]) then return {gated, 0, used} end
used = redis.call('INCRBY', KEYS[2], cost)
if used == cost then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
return {gated, 1, used}
`);

/**
 * Counters shared by every instance on one Redis (REDIS_URL). One key per caller and window
 * (`<prefix>rl:<key>:<window id>`), expiring when its window ends (plus a second of slack).
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly now: () => number;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly options: RedisRateLimiterOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async consume(key: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    const now = this.now();
    const window = windowAt(rule, now);
    const [ok, used] = (await CONSUME.run(this.client, [this.key(key, window.id)], [cost, rule.limit, this.ttl(window.endsAt, now)])) as [number, number];
    return decide(rule, used, ok === 1, window.endsAt, now);
  }

  async add(key: string, rule: RateRule, amount: number): Promise<void> {
    const now = this.now();
    const window = windowAt(rule, now);
    const redisKey = this.key(key, window.id);
    await this.client.multi().incrby(redisKey, amount).pexpire(redisKey, this.ttl(window.endsAt, now)).exec();
  }

  async peek(key: string, rule: RateRule): Promise<RateDecision> {
    const now = this.now();
    const window = windowAt(rule, now);
    const used = Number((await this.client.get(this.key(key, window.id))) ?? 0);
    return decide(rule, used, used < rule.limit, window.endsAt, now);
  }

  async peekThenConsume(gate: { key: string; rule: RateRule }, key: string, rule: RateRule, cost = 1): Promise<{ gate: RateDecision; taken?: RateDecision }> {
    // a cluster may hold the two keys on different nodes (CROSSSLOT): two calls there
    if (this.client.isCluster) {
      const peeked = await this.peek(gate.key, gate.rule);
      return peeked.allowed ? { gate: peeked, taken: await this.consume(key, rule, cost) } : { gate: peeked };
    }
    const now = this.now();
    const gateWindow = windowAt(gate.rule, now);
    const window = windowAt(rule, now);
    const keys = [this.key(gate.key, gateWindow.id), this.key(key, window.id)];
    const [gated, taken, used] = (await PEEK_THEN_CONSUME.run(this.client, keys, [gate.rule.limit, cost, rule.limit, this.ttl(window.endsAt, now)])) as [number, number, number];
    const gateDecision = decide(gate.rule, gated, gated < gate.rule.limit, gateWindow.endsAt, now);
    return taken === -1 ? { gate: gateDecision } : { gate: gateDecision, taken: decide(rule, used, taken === 1, window.endsAt, now) };
  }

  async close(): Promise<void> {
    if (!this.options.ownsClient) return;
    await closeRedisClient(this.client);
  }

  private key(key: string, windowId: number): string {
    return `${this.options.prefix}rl:${key}:${windowId}`;
  }

  private ttl(endsAt: number, now: number): number {
    return Math.max(1, endsAt - now) + 1_000;
  }
}
