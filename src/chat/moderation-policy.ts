import type { Logger } from 'pino';
import type { CheckRequest, ContentChecker } from '../moderation/content-checker.js';

/**
 * How the chat uses content security. `input` checks questions only; `both` also checks
 * answers while they stream (streaming-moderator.ts). No policy at all = no checks.
 */
export interface ModerationPolicy {
  checker: ContentChecker;
  mode: 'input' | 'both';
  /**
   * What a checker failure means (WeChat down, 45009, timeout): true lets the text through,
   * false treats it as not shown — the question is refused, the answer withdrawn.
   * A checker that applies this policy itself never throws, and both agree.
   */
  failOpen: boolean;
}

/** 'unavailable': the checker failed and the policy is fail-closed. */
export type ModerationOutcome = { ok: true } | { ok: false; label: string; unavailable?: true };

/** The label of text refused because the checker could not decide (fail-closed). */
export const UNCHECKED_LABEL = 'unchecked';

/** The notice that replaces a withdrawn answer, on the wire and in the store. */
export const RETRACT_NOTICE = '抱歉，这个回答包含不适合展示的内容，已撤回。';

/** One check with the fail policy applied: never throws (an abort counts as a pass: nobody is shown anything). */
export async function checkWithPolicy(policy: ModerationPolicy, request: CheckRequest, log: Logger): Promise<ModerationOutcome> {
  try {
    const verdict = await policy.checker.check(request);
    if (verdict.verdict === 'pass') return { ok: true };
    log.warn({ scene: request.scene, label: verdict.label, checker: verdict.checker }, 'content flagged');
    return { ok: false, label: verdict.label };
  } catch (error) {
    if (request.signal?.aborted) return { ok: true };
    // any failure, not only ModerationError: a buggy checker must not decide the policy either
    log.warn({ scene: request.scene, error: String(error), failOpen: policy.failOpen }, 'content check failed');
    return policy.failOpen ? { ok: true } : { ok: false, label: UNCHECKED_LABEL, unavailable: true };
  }
}
