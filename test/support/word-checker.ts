/**
 * A ContentChecker for tests: flags text containing any of `words`, after an optional latency,
 * and can be made to fail (ModerationError) or to hold every verdict until `release()` —
 * which proves checks run while deltas keep flowing. Records every request.
 *
 * @example
 * const checker = new WordChecker({ words: ['炸弹'], latencyMs: 50 });
 * await startGateway({ llm, contentChecker: checker, contentSecurity: { mode: 'both', failOpen: false } });
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ModerationError, type CheckRequest, type CheckScene, type CheckVerdict, type ContentChecker,
} from '../../src/moderation/content-checker.js';

export interface WordCheckerOptions {
  words: string[];
  /** ms before each verdict (default 0) */
  latencyMs?: number;
}

export class WordChecker implements ContentChecker {
  readonly name = 'test-words';
  readonly requests: CheckRequest[] = [];
  words: string[];
  latencyMs: number;
  /** when set, checks (of `scene`, or all) throw ModerationError of this kind */
  failing: { kind: ModerationError['kind']; scene?: CheckScene } | undefined;
  private held: Promise<void> | undefined;
  private heldScene: CheckScene | undefined;
  private releaseHeld: (() => void) | undefined;
  private waiters: Array<() => void> = [];

  constructor(options: WordCheckerOptions) {
    this.words = options.words;
    this.latencyMs = options.latencyMs ?? 0;
  }

  /** Every verdict (of `scene`, or all) from now on waits until `release()`. */
  hold(scene?: CheckScene): void {
    this.heldScene = scene;
    this.held = new Promise((resolve) => (this.releaseHeld = resolve));
  }

  release(): void {
    this.releaseHeld?.();
    this.held = undefined;
  }

  /** Resolves once `count` checks have been asked for in total. */
  async waitForRequests(count: number): Promise<void> {
    while (this.requests.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  async check(request: CheckRequest): Promise<CheckVerdict> {
    this.requests.push(request);
    for (const wake of this.waiters.splice(0)) wake();
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const applies = (scene: CheckScene | undefined) => scene === undefined || scene === request.scene;
    if (this.held && applies(this.heldScene)) await this.held;
    if (this.failing && applies(this.failing.scene)) throw new ModerationError(this.failing.kind, 'test checker failing');
    const word = this.words.find((w) => request.text.includes(w));
    return word === undefined ? { verdict: 'pass' } : { verdict: 'risky', label: `word:${word}`, checker: this.name };
  }
}
