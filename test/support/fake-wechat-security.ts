/**
 * The fake WeChat server's server-to-server APIs (mounted by fake-wechat-server.ts):
 * `POST /cgi-bin/stable_token` and `POST /wxa/msg_sec_check` v2, with the behaviour that
 * matters (notes §2.2, §3):
 * - stable_token in normal mode returns the SAME token while it is valid, with the remaining
 *   `expires_in`; `force_refresh` or an expired/invalidated token issues a new one;
 * - msg_sec_check answers errcode 0 for risky text too: the verdict is `result.suggest`;
 *   a bad token gets 40001 (unknown/invalidated) or 42001 (expired), a missing one 41001;
 * - scripted failures (45009, 61010, any errcode, hang) are consumed one per call.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

export type SecCheckScriptStep = number | { errcode: number; errmsg?: string } | { hang: true };

export interface FakeSecurityOptions {
  appId: string;
  appSecret: string;
  /** seconds, as stable_token reports it (default 7200) */
  tokenExpiresIn?: number;
  /** content containing one of these → suggest 'risky', label 20006 (违法犯罪) */
  riskyWords?: Iterable<string>;
  /** content containing one of these → suggest 'review', label 21000 (其他) */
  reviewWords?: Iterable<string>;
  /** openids that get 61010 (not active in the last 2 hours) */
  inactiveOpenIds?: Iterable<string>;
}

export interface CheckedText {
  content: string;
  scene: number;
  openid: string;
}

export interface FakeSecurityApi {
  stableTokenCalls: number;
  /** every access_token handed out, for tests that check none leaks */
  issuedTokens: string[];
  secCheckCalls: number;
  /** every msg_sec_check that got past the token check, in arrival order */
  checked: CheckedText[];
  /** The current token now answers 42001; stable_token issues a new one. */
  expireToken(): void;
  /** The current token now answers 40001 (as when another system forced a refresh). */
  invalidateToken(): void;
  /** Steps consumed one per msg_sec_check call; then normal behaviour resumes. */
  setSecCheckScript(steps: SecCheckScriptStep[]): void;
  configure(change: Partial<Pick<FakeSecurityOptions, 'tokenExpiresIn' | 'riskyWords' | 'reviewWords' | 'inactiveOpenIds'>>): void;
  /** The answer for one request, or 'hang'. `query` is the URL's, `body` the raw request body. */
  answer(path: string, query: URLSearchParams, body: string): ((res: ServerResponse) => void) | 'hang' | undefined;
}

type Send = (res: ServerResponse, body: unknown) => void;
type ErrorBody = (errcode: number, errmsg?: string) => { errcode: number; errmsg: string };

export function createFakeSecurityApi(options: FakeSecurityOptions, sendJson: Send, wechatError: ErrorBody): FakeSecurityApi {
  let expiresIn = options.tokenExpiresIn ?? 7200;
  let risky = [...(options.riskyWords ?? [])];
  let review = [...(options.reviewWords ?? [])];
  let inactive = new Set(options.inactiveOpenIds ?? []);
  /** token → its state; tokens stay known after they go bad so the right errcode comes back */
  const tokens = new Map<string, { expiresAt: number; state: 'valid' | 'expired' | 'invalid' }>();
  let current: string | undefined;
  let script: SecCheckScriptStep[] = [];

  const tokenState = (token: string) => {
    const entry = tokens.get(token);
    if (entry && entry.state === 'valid' && entry.expiresAt <= Date.now()) entry.state = 'expired';
    return entry?.state;
  };

  const issue = (): { access_token: string; expires_in: number } => {
    if (!current || tokenState(current) !== 'valid') {
      current = `fake-token-${randomBytes(16).toString('hex')}`;
      tokens.set(current, { expiresAt: Date.now() + expiresIn * 1000, state: 'valid' });
      api.issuedTokens.push(current);
    }
    const remaining = Math.ceil((tokens.get(current)!.expiresAt - Date.now()) / 1000);
    return { access_token: current, expires_in: remaining };
  };

  const stableToken = (body: Record<string, unknown>): unknown => {
    api.stableTokenCalls += 1;
    if (body.grant_type !== 'client_credential') return wechatError(40002);
    if (body.appid !== options.appId) return wechatError(40013);
    if (body.secret !== options.appSecret) return wechatError(40125);
    if (body.force_refresh === true && current) tokens.get(current)!.state = 'invalid';
    return issue();
  };

  const secCheck = (token: string | null, body: Record<string, unknown>): unknown => {
    api.secCheckCalls += 1;
    if (!token) return wechatError(41001, 'access_token missing');
    const state = tokenState(token);
    if (state === 'expired') return wechatError(42001, 'access_token expired');
    if (state !== 'valid') return wechatError(40001, 'invalid credential, access_token is invalid or not latest');
    const { content, version, scene, openid } = body;
    if (version !== 2 || typeof content !== 'string') return wechatError(47001, 'data format error');
    // real WeChat's answer to > 2,500 characters is undocumented; any error will do here
    if (content.length > 2500) return wechatError(47001, 'data format error');
    if (typeof scene !== 'number' || scene < 1 || scene > 4) return wechatError(40129, 'invalid scene');
    if (typeof openid !== 'string' || !openid) return wechatError(40003, 'invalid openid');
    api.checked.push({ content, scene, openid });
    if (inactive.has(openid)) return wechatError(61010, 'code is expired');
    const traceId = randomBytes(8).toString('hex');
    const verdict = (suggest: string, label: number) => ({
      errcode: 0,
      errmsg: 'ok',
      result: { suggest, label },
      detail: [{ strategy: 'content_model', errcode: 0, suggest, label, prob: suggest === 'pass' ? 0 : 90 }],
      trace_id: traceId,
    });
    if (risky.some((word) => content.includes(word))) return verdict('risky', 20006);
    if (review.some((word) => content.includes(word))) return verdict('review', 21000);
    return verdict('pass', 100);
  };

  const api: FakeSecurityApi = {
    stableTokenCalls: 0,
    issuedTokens: [],
    secCheckCalls: 0,
    checked: [],
    expireToken() {
      if (current) tokens.get(current)!.state = 'expired';
    },
    invalidateToken() {
      if (current) tokens.get(current)!.state = 'invalid';
    },
    setSecCheckScript(steps) {
      script = [...steps];
    },
    configure(change) {
      expiresIn = change.tokenExpiresIn ?? expiresIn;
      if (change.riskyWords) risky = [...change.riskyWords];
      if (change.reviewWords) review = [...change.reviewWords];
      if (change.inactiveOpenIds) inactive = new Set(change.inactiveOpenIds);
    },
    answer(path, query, raw) {
      if (path !== '/cgi-bin/stable_token' && path !== '/wxa/msg_sec_check') return undefined;
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return (res) => sendJson(res, wechatError(47001, 'data format error'));
      }
      if (path === '/cgi-bin/stable_token') {
        const reply = stableToken(body);
        return (res) => sendJson(res, reply);
      }
      const step = script.shift();
      if (step !== undefined) {
        api.secCheckCalls += 1;
        if (typeof step === 'object' && 'hang' in step) return 'hang';
        const error = typeof step === 'number' ? wechatError(step) : wechatError(step.errcode, step.errmsg);
        return (res) => sendJson(res, error);
      }
      const reply = secCheck(query.get('access_token'), body);
      return (res) => sendJson(res, reply);
    },
  };
  return api;
}
