import type { Logger } from 'pino';
import { ModerationError, type CheckRequest, type CheckVerdict, type ContentChecker } from './content-checker.js';
import type { KeywordChecker } from './keyword-checker.js';

export type FailPolicy = 'open' | 'closed';

export interface LayeredCheckerOptions {
  keywords: KeywordChecker;
  /** WeChat's msgSecCheck; absent = keywords only (dev mode, no AppID) */
  remote?: ContentChecker;
  /** CONTENT_SECURITY_FAIL: what a ModerationError from `remote` means */
  fail: FailPolicy;
  logger: Logger;
  /** releases what the drivers hold (the token cache's Redis connection) */
  onClose?: () => Promise<void>;
  /** told of every check (the metrics): which checker, and pass / risky / error */
  onCheck?: (checker: string, verdict: 'pass' | 'risky' | 'error') => void;
  now?: () => number;
}

/** While WeChat is failing, one warning a minute is enough to page someone. */
const WARN_EVERY_MS = 60_000;

/**
 * The checker the chat flow uses: the keyword list first (no network call when it already
 * says risky), then WeChat. When WeChat cannot decide, the fail policy does: open → pass (the
 * keywords still ran); closed → the ModerationError goes on to the chat flow, which answers
 * "check unavailable, try again" (503) rather than calling the user's text risky. Either way a
 * warning at most once a minute.
 */
export class LayeredContentChecker implements ContentChecker {
  readonly name: string;
  private lastWarnAt = -Infinity;
  private suppressed = 0;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: LayeredCheckerOptions) {
    this.name = options.remote ? `${options.keywords.name}+${options.remote.name}` : options.keywords.name;
  }

  async check(request: CheckRequest): Promise<CheckVerdict> {
    const { keywords, remote, onCheck } = this.options;
    const local = keywords.checkNow(request.text);
    onCheck?.(keywords.name, local.verdict);
    if (local.verdict === 'risky' || !remote) return local;
    try {
      const verdict = await remote.check(request);
      onCheck?.(remote.name, verdict.verdict);
      return verdict;
    } catch (error) {
      onCheck?.(remote.name, 'error');
      if (!(error instanceof ModerationError)) throw error;
      this.warn(error);
      if (this.options.fail === 'closed') throw error;
      return { verdict: 'pass' };
    }
  }

  /** Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.options.onClose?.() ?? Promise.resolve();
    return this.closing;
  }

  private warn(error: ModerationError): void {
    const now = (this.options.now ?? Date.now)();
    if (now - this.lastWarnAt < WARN_EVERY_MS) {
      this.suppressed += 1;
      return;
    }
    this.options.logger.warn(
      { kind: error.kind, error: error.message, fail: this.options.fail, suppressed: this.suppressed },
      this.options.fail === 'closed'
        ? 'content check unavailable: blocking text (CONTENT_SECURITY_FAIL=closed)'
        : 'content check unavailable: letting text through after the keyword list (CONTENT_SECURITY_FAIL=open)',
    );
    this.lastWarnAt = now;
    this.suppressed = 0;
  }
}
