/**
 * When to try an HTTP call to a model service again, and how long to wait first — shared by
 * the chat driver and the embeddings client so both treat a 429 or a 503 the same way
 * (openai-node's policy, plus a cap and abortable waits).
 *
 * - Retry only what can succeed later: 408, 429, 5xx, network failures (see `kindForStatus`).
 * - A `Retry-After` is obeyed, never earlier, with up to 10% jitter so clients do not return
 *   in lockstep; one longer than `maxDelayMs` ends the call instead of holding a user.
 * - Without one: exponential backoff from `baseDelayMs`, capped at `maxDelayMs`, 75–100% jitter.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Extra attempts after the first. */
  maxRetries: number;
  /** First backoff step, ms, doubled each retry. */
  baseDelayMs: number;
  /** Longest single wait, ms. */
  maxDelayMs: number;
}

/** Ms to wait before retry number `attempt` (0-based); undefined = give up now. */
export function retryDelay(policy: RetryPolicy, attempt: number, retryAfter: number | undefined): number | undefined {
  if (attempt >= policy.maxRetries) return undefined;
  if (retryAfter !== undefined) {
    return retryAfter > policy.maxDelayMs ? undefined : retryAfter * (1 + Math.random() * 0.1);
  }
  const backoff = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
  return backoff * (0.75 + Math.random() * 0.25);
}

/** Fetch's `Headers`, or a lookup over node:http's headers. */
export interface HeaderLookup {
  get(name: string): string | null | undefined;
}

/**
 * Milliseconds a 429/503 asked us to wait: `retry-after-ms`, `Retry-After` seconds or HTTP date.
 * Undefined when absent or unparseable, so the caller falls back to its backoff.
 */
export function retryAfterMs(headers: HeaderLookup | undefined, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number.parseFloat(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Waits `ms`; rejects with the signal's reason as soon as it fires (no sleeping past a cancel). */
export async function waitToRetry(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) throw signal.reason;
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    throw signal?.aborted ? signal.reason : error;
  }
}
