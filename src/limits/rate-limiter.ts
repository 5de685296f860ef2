/**
 * The rate-limit port: fixed-window counters keyed by a caller's id (an openid, an IP).
 *
 * A window is a fixed slice of time aligned to the epoch plus `offsetMs`, so every instance
 * sharing one backend (Redis) counts into the same window without coordinating clocks beyond
 * NTP. Fixed windows may let up to 2× the limit through across a boundary; for abuse
 * protection that is fine, and it keeps every driver one atomic O(1) step.
 */

/** One limit: at most `limit` units per window of `windowMs`, windows starting at `offsetMs` past the epoch's slices. */
export interface RateRule {
  limit: number;
  windowMs: number;
  /** shifts window boundaries: `+8 h` makes daily windows start at midnight Asia/Shanghai */
  offsetMs?: number;
}

export interface RateDecision {
  allowed: boolean;
  /** units left in this window after this call (0 when refused) */
  remaining: number;
  /** when refused: whole seconds until the window resets (≥ 1); 0 when allowed */
  retryAfterSeconds: number;
  limit: number;
}

export interface RateLimiter {
  /**
   * Check-and-consume: takes `cost` units when they fit in `rule.limit`, else takes nothing
   * and refuses. Atomic across every instance sharing the backend.
   *
   * @example
   * const d = await limiter.consume('chat:o6_bmj', { limit: 10, windowMs: 60_000 });
   * if (!d.allowed) reply429(d.retryAfterSeconds);
   */
  consume(key: string, rule: RateRule, cost?: number): Promise<RateDecision>;
  /** Records `amount` units whatever the limit (usage known only afterwards, e.g. model tokens). */
  add(key: string, rule: RateRule, amount: number): Promise<void>;
  /** The current state without consuming: `allowed` is false once the window is used up. */
  peek(key: string, rule: RateRule): Promise<RateDecision>;
  /**
   * `peek(gate)`, then `consume(key, rule, cost)` only when the gate allows: one step (one
   * round trip on Redis). `taken` is undefined when the gate refused (nothing consumed). Not
   * atomic across the two keys: the gate is a check, as `peek` is.
   *
   * @example
   * const { gate, taken } = await limiter.peekThenConsume({ key: 'tokens:o6', rule: day }, 'chat:o6', minute);
   */
  peekThenConsume(gate: { key: string; rule: RateRule }, key: string, rule: RateRule, cost?: number): Promise<{ gate: RateDecision; taken?: RateDecision }>;
  close(): Promise<void>;
}

/** The window `now` falls in: its id (for keys) and when it ends (epoch ms). */
export function windowAt(rule: RateRule, now: number): { id: number; endsAt: number } {
  const offset = rule.offsetMs ?? 0;
  const id = Math.floor((now + offset) / rule.windowMs);
  return { id, endsAt: (id + 1) * rule.windowMs - offset };
}

/** The decision for a window that holds `used` units after this call. */
export function decide(rule: RateRule, used: number, allowed: boolean, endsAt: number, now: number): RateDecision {
  return {
    allowed,
    remaining: Math.max(0, rule.limit - used),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((endsAt - now) / 1000)),
    limit: rule.limit,
  };
}
