import type { Logger } from 'pino';
import { checkWithPolicy, type ModerationPolicy } from './moderation-policy.js';

export interface WindowOptions {
  /** a window closes at the first sentence end once it holds this many characters */
  minChars: number;
  /** …or once it has been open this long (ms), so slow models get checked early too */
  maxAgeMs: number;
  /** hard cut without a sentence end; msgSecCheck takes at most 2,500 characters */
  maxChars: number;
  /** the end of the previous window, repeated so a word cut by a window boundary is still seen */
  overlapChars: number;
}

export const defaultWindowOptions: WindowOptions = { minChars: 200, maxAgeMs: 1500, maxChars: 2000, overlapChars: 16 };

const SENTENCE_END = /[。！？!?\n]/g;

/**
 * Checks an answer while it streams, without holding any text back: the caller pushes text as
 * it goes to the client, and windows of it are checked in the background. At most one check
 * is in flight; text arriving meanwhile gathers into the next window, so a slow checker means
 * fewer, larger windows. A ~500-character answer costs 3–4 answer checks including the final one
 * (`npm run bench:content-security`), plus the question's: ~800 answers a minute within msgSecCheck's
 * 4,000 calls per AppID.
 *
 * A risky window (or a failed check when fail-closed) calls `onRisky` once; the caller stops
 * generation and withdraws what was shown. `finish()` checks what is left and waits for all
 * verdicts: call it before the final answer goes out.
 */
export class StreamingModerator {
  /** checks started so far (for logs and the benchmark) */
  checks = 0;
  private pending = '';
  private openedAt = 0;
  private overlap = '';
  private inFlight: Promise<void> | undefined;
  private risky: string | undefined;
  private readonly controller = new AbortController();

  constructor(
    private readonly policy: ModerationPolicy,
    private readonly openid: string,
    private readonly log: Logger,
    private readonly onRisky: (label: string) => void,
    private readonly window: WindowOptions = defaultWindowOptions,
    private readonly now: () => number = Date.now,
  ) {}

  push(text: string): void {
    if (this.risky !== undefined || text === '') return;
    if (this.pending === '') this.openedAt = this.now();
    this.pending += text;
    this.submitReady();
  }

  /**
   * Checks the rest and waits for every verdict; resolves with the risky label, if any. The
   * rest is checked at once, alongside a check still in flight: the answer's tail waits for
   * one round trip, not two.
   */
  async finish(): Promise<string | undefined> {
    const rest = this.risky === undefined && this.pending.trim() !== '' ? this.check(this.pending.length) : undefined;
    while (this.inFlight) await this.inFlight;
    await rest;
    return this.risky;
  }

  /** Stops checks in flight (the answer ended another way). */
  dispose(): void {
    this.controller.abort();
  }

  private submitReady(): void {
    if (this.inFlight || this.risky !== undefined) return;
    const cut = this.cutPoint();
    if (cut === 0) return;
    this.inFlight = this.check(cut).then(() => {
      this.inFlight = undefined;
      this.submitReady();
    });
  }

  /** Where the next window ends: 0 = not ready yet. */
  private cutPoint(): number {
    const { minChars, maxAgeMs, maxChars } = this.window;
    const text = this.pending.slice(0, maxChars);
    const lastEnd = lastSentenceEnd(text);
    if (this.pending.length >= maxChars) return lastEnd > 0 ? lastEnd : maxChars;
    const due = this.pending.length >= minChars || this.now() - this.openedAt >= maxAgeMs;
    return due ? lastEnd : 0;
  }

  /** Checks the next `cut` characters (after the previous window's overlap). */
  private async check(cut: number): Promise<void> {
    const text = this.overlap + this.pending.slice(0, cut);
    this.overlap = this.pending.slice(Math.max(0, cut - this.window.overlapChars), cut);
    this.pending = this.pending.slice(cut);
    this.openedAt = this.now();
    this.checks += 1;
    const request = { text, openid: this.openid, scene: 'answer' as const, signal: this.controller.signal };
    const outcome = await checkWithPolicy(this.policy, request, this.log);
    if (outcome.ok || this.risky !== undefined) return;
    this.risky = outcome.label;
    this.pending = '';
    this.onRisky(outcome.label);
  }
}

/** Index just after the last sentence end in `text`, 0 when there is none. */
function lastSentenceEnd(text: string): number {
  let end = 0;
  for (const match of text.matchAll(SENTENCE_END)) end = match.index + 1;
  return end;
}
