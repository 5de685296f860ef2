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
import { createHash, randomBytes } from 'node:crypto';
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

/** One media_check_async that got past the token check, and what the fake then did (like WeChat would). */
export interface MediaCheckCall {
  media_url: string;
  media_type: number;
  scene: number;
  openid: string;
  trace_id: string;
  /** the fake's GET of media_url: status, bytes, content type; absent until it finished */
  fetched?: { status: number; bytes: number; contentType: string | null; body: Buffer };
  /** the push it then sent: the gateway's status and body; absent when no push URL is configured */
  pushed?: { status: number; body: string };
}

/** Where and what the fake pushes after fetching an image (the mini-program's 消息推送 settings). */
export interface MediaCheckPushSettings {
  /** e.g. `${gateway.url}/wechat/push`; unset = no push */
  pushUrl?: string;
  /** the 消息推送 Token the push is signed with */
  pushToken?: string;
  /** the verdict every push carries (default pass / 100) */
  suggest?: 'pass' | 'review' | 'risky';
  label?: number;
}

export interface FakeSecurityApi {
  /** every media_check_async accepted, in arrival order */
  mediaChecks: MediaCheckCall[];
  /** Sets where pushes go and what verdict they carry. */
  configureMediaCheck(settings: MediaCheckPushSettings): void;
  /** Resolves once every accepted media check was fetched and pushed. */
  mediaChecksSettled(): Promise<void>;
  /** The wxa_media_check push body WeChat sends for this trace and verdict. */
  mediaPushBody(traceId: string, suggest: string, label: number): Record<string, unknown>;
  /** POSTs `body` to the push URL, signed with the push token (or `signWith`), as WeChat does. */
  push(body: unknown, signWith?: string): Promise<{ status: number; body: string }>;

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
  let pushSettings: MediaCheckPushSettings = {};
  const pending = new Set<Promise<void>>();

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

  const signedPushUrl = (token: string): string => {
    const url = new URL(pushSettings.pushUrl!);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(6).toString('hex');
    url.searchParams.set('signature', createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex'));
    url.searchParams.set('timestamp', timestamp);
    url.searchParams.set('nonce', nonce);
    return url.toString();
  };

  const push = async (body: unknown, signWith?: string): Promise<{ status: number; body: string }> => {
    const response = await fetch(signedPushUrl(signWith ?? pushSettings.pushToken ?? ''), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.text() };
  };

  const mediaPushBody = (traceId: string, suggest: string, label: number): Record<string, unknown> => ({
    ToUserName: 'gh_fake',
    FromUserName: 'fake-push-service',
    CreateTime: Math.floor(Date.now() / 1000),
    MsgType: 'event',
    Event: 'wxa_media_check',
    appid: options.appId,
    trace_id: traceId,
    version: 2,
    detail: [{ strategy: 'content_model', errcode: 0, suggest, label, prob: suggest === 'pass' ? 0 : 90 }],
    errcode: 0,
    errmsg: 'ok',
    result: { suggest, label },
  });

  /** What WeChat does after answering: fetch the image from the URL it was given, then push the verdict. */
  const fetchAndPush = async (call: MediaCheckCall): Promise<void> => {
    try {
      // loopback only: a test's URL never leaves the machine (anything else is recorded as unreachable)
      if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(call.media_url).hostname)) throw new Error('not loopback');
      const response = await fetch(call.media_url);
      const body = Buffer.from(await response.arrayBuffer());
      call.fetched = { status: response.status, bytes: body.length, contentType: response.headers.get('content-type'), body };
    } catch {
      call.fetched = { status: 0, bytes: 0, contentType: null, body: Buffer.alloc(0) };
    }
    if (!pushSettings.pushUrl || call.fetched.status !== 200) return;
    call.pushed = await push(mediaPushBody(call.trace_id, pushSettings.suggest ?? 'pass', pushSettings.label ?? 100)).catch(() => ({ status: 0, body: '' }));
  };

  const mediaCheck = (token: string | null, body: Record<string, unknown>): unknown => {
    if (!token) return wechatError(41001, 'access_token missing');
    const state = tokenState(token);
    if (state === 'expired') return wechatError(42001, 'access_token expired');
    if (state !== 'valid') return wechatError(40001, 'invalid credential, access_token is invalid or not latest');
    const { media_url, media_type, version, scene, openid } = body;
    if (version !== 2 || typeof media_url !== 'string' || (media_type !== 1 && media_type !== 2)) return wechatError(47001, 'data format error');
    if (typeof scene !== 'number' || scene < 1 || scene > 4) return wechatError(40129, 'invalid scene');
    if (typeof openid !== 'string' || !openid) return wechatError(40003, 'invalid openid');
    const call: MediaCheckCall = { media_url, media_type, scene, openid, trace_id: randomBytes(12).toString('hex') };
    api.mediaChecks.push(call);
    const done = fetchAndPush(call).finally(() => pending.delete(done));
    pending.add(done);
    return { errcode: 0, errmsg: 'ok', trace_id: call.trace_id };
  };

  const api: FakeSecurityApi = {
    mediaChecks: [],
    configureMediaCheck(settings) {
      pushSettings = { ...pushSettings, ...settings };
    },
    async mediaChecksSettled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    mediaPushBody,
    push,
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
      if (path !== '/cgi-bin/stable_token' && path !== '/wxa/msg_sec_check' && path !== '/wxa/media_check_async') return undefined;
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return (res) => sendJson(res, wechatError(47001, 'data format error'));
      }
      if (path === '/wxa/media_check_async') {
        const reply = mediaCheck(query.get('access_token'), body);
        return (res) => sendJson(res, reply);
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
