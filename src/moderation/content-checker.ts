/**
 * The content-security port: is this text safe to show (or to send to the model)?
 *
 * WeChat requires AI Q&A mini-programs to check both the user's question and the generated
 * answer. Drivers: a local keyword list (works without WeChat, and runs first as a cheap
 * filter) and WeChat's msgSecCheck v2 (`wechat-content-checker.ts`). Failures of the
 * checker itself (WeChat down, quota exceeded) are thrown as `ModerationError`; whether that
 * lets the text through is a policy (CONTENT_SECURITY_FAIL=open|closed), not the driver's call.
 */

/** Where the text comes from: WeChat's msgSecCheck `scene` differs for them. */
export type CheckScene = 'question' | 'answer';

export interface CheckRequest {
  text: string;
  /** the asking user: msgSecCheck v2 requires it (and fails with 61010 if they have not used the mini-program lately) */
  openid: string;
  scene: CheckScene;
  signal?: AbortSignal;
}

export type CheckVerdict =
  | { verdict: 'pass' }
  /** `label`: why, in the checker's words (for logs and the admin view, never shown to users as is) */
  | { verdict: 'risky'; label: string; checker: string };

export interface ContentChecker {
  /** e.g. "keywords", "wechat", "keywords+wechat" — for logs and health */
  readonly name: string;
  /** Throws ModerationError when the checker could not decide. */
  check(request: CheckRequest): Promise<CheckVerdict>;
  /** Releases connections (e.g. the access-token cache's Redis client). Idempotent. */
  close?(): Promise<void>;
}

export type ModerationErrorKind = 'unavailable' | 'rate_limited' | 'timeout';

/** The checker could not give a verdict; the caller's fail-open/closed policy decides. */
export class ModerationError extends Error {
  override readonly name = 'ModerationError';
  constructor(
    readonly kind: ModerationErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
