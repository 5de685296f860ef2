import type { Logger } from 'pino';
import { TOKEN_REJECTED_ERRCODES, type AccessTokenProvider } from '../wechat/access-token.js';
import { callWechatJson } from '../wechat/wechat-json.js';
import { WechatError } from '../wechat/wechat-error.js';
import { ModerationError, type CheckRequest, type CheckScene, type CheckVerdict, type ContentChecker } from './content-checker.js';
import { splitForCheck } from './split-for-check.js';

export interface WechatContentCheckerOptions {
  tokens: AccessTokenProvider;
  /** https://api.weixin.qq.com, or a loopback fake in tests */
  apiBase: string;
  /** one check's deadline, token fetch included (CONTENT_SECURITY_TIMEOUT_MS) */
  timeoutMs: number;
  logger: Logger;
  /**
   * 'review' ("needs a human look") counts as risky: the gateway has no human review queue,
   * and what WeChat's reviewers test with is exactly the borderline text. Default true.
   */
  reviewIsRisky?: boolean;
  /**
   * Who decides when WeChat answers 61010 (the openid has not visited the mini-program in the
   * last 2 hours, so WeChat will not judge it). That is about the user, not the text — it
   * happens to HTTP-API and console users and to long-resumed sessions — so failing would lock
   * real users out; the composition root passes the keyword checker. Unset: ModerationError.
   */
  onUserInactive?: ContentChecker;
}

/**
 * msgSecCheck has no "chat" or "AI" scene; WeChat staff advise the closest one. A question
 * and an answer are short texts shown in a conversation, like a comment (2); 1 资料 is for
 * profiles and 3/4 for posts.
 */
const SCENES: Record<CheckScene, number> = { question: 2, answer: 2 };

/** 45009: the AppID's quota (4,000/min, 2,000,000/day); 44991: the minute frequency cap. */
const RATE_LIMITED = new Set([45009, 44991]);
const USER_INACTIVE = 61010;

/**
 * WeChat's msgSecCheck v2 (`POST /wxa/msg_sec_check`). The verdict is `result.suggest` —
 * errcode is 0 even for risky text. Text over 2,500 characters is checked in pieces, in
 * parallel; any risky piece makes the whole risky. A rejected access token (40001/40014/
 * 42001) is refetched once. Everything else that prevents a verdict is a ModerationError:
 * quota → 'rate_limited', deadline → 'timeout', the rest → 'unavailable'.
 */
export class WechatContentChecker implements ContentChecker {
  readonly name = 'wechat';

  constructor(private readonly options: WechatContentCheckerOptions) {}

  async check(request: CheckRequest): Promise<CheckVerdict> {
    if (request.text.trim() === '') return { verdict: 'pass' };
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
    try {
      const verdicts = await Promise.all(splitForCheck(request.text).map((piece) => this.checkPiece(piece, request, signal)));
      return verdicts.find((v) => v.verdict === 'risky') ?? { verdict: 'pass' };
    } catch (error) {
      if (error instanceof UserInactive && this.options.onUserInactive) return this.options.onUserInactive.check(request);
      // the caller's own cancel is no checker failure
      if (request.signal?.aborted) throw request.signal.reason;
      throw toModerationError(error, deadline.aborted);
    }
  }

  private async checkPiece(content: string, request: CheckRequest, signal: AbortSignal): Promise<CheckVerdict> {
    const { tokens, apiBase, logger } = this.options;
    for (let attempt = 1; ; attempt++) {
      const token = await tokens.get(signal);
      const url = new URL('/wxa/msg_sec_check', apiBase);
      url.searchParams.set('access_token', token);
      const body = { content, version: 2, scene: SCENES[request.scene], openid: request.openid };
      const reply = await callWechatJson(url, body, signal, 'msg_sec_check');
      const errcode = typeof reply.errcode === 'number' ? reply.errcode : 0;
      if (errcode === 0) return this.verdictOf(reply.result);
      if (TOKEN_REJECTED_ERRCODES.has(errcode) && attempt === 1) {
        logger.info({ errcode }, 'WeChat rejected the access token: refetching once');
        await tokens.invalidate(token);
        continue;
      }
      if (errcode === USER_INACTIVE) throw new UserInactive();
      if (RATE_LIMITED.has(errcode)) {
        throw new ModerationError('rate_limited', `msg_sec_check errcode ${errcode}`);
      }
      logger.warn({ errcode, errmsg: reply.errmsg }, 'msg_sec_check failed');
      throw new ModerationError('unavailable', `msg_sec_check errcode ${errcode}`);
    }
  }

  private verdictOf(result: unknown): CheckVerdict {
    const { suggest, label } = (result ?? {}) as { suggest?: unknown; label?: unknown };
    if (suggest === 'pass') return { verdict: 'pass' };
    if (suggest === 'risky') return { verdict: 'risky', label: String(label ?? 'risky'), checker: this.name };
    if (suggest === 'review') {
      return this.options.reviewIsRisky === false
        ? { verdict: 'pass' }
        : { verdict: 'risky', label: `review:${String(label ?? '')}`, checker: this.name };
    }
    throw new ModerationError('unavailable', 'msg_sec_check answered without result.suggest');
  }
}

/** 61010, on its way to `onUserInactive`. */
class UserInactive extends Error {}

function toModerationError(error: unknown, timedOut: boolean): ModerationError {
  if (error instanceof ModerationError) return error;
  if (timedOut || (error instanceof WechatError && error.kind === 'timeout')) {
    return new ModerationError('timeout', 'msg_sec_check timed out');
  }
  if (error instanceof WechatError && error.kind === 'rate_limited') return new ModerationError('rate_limited', error.message);
  if (error instanceof UserInactive) return new ModerationError('unavailable', 'msg_sec_check errcode 61010 (user not active in 2 h)');
  // WechatError messages name the call and errcode only: safe to carry
  const message = error instanceof WechatError ? error.message : 'msg_sec_check failed';
  return new ModerationError('unavailable', message);
}
