/**
 * A real HTTP server standing in for api.weixin.qq.com, so login code runs against sockets,
 * not mocks. It serves `GET /sns/jscode2session` (code2Session) and, through
 * fake-wechat-security.ts, `POST /cgi-bin/stable_token`, `POST /wxa/msg_sec_check` v2 and
 * `POST /wxa/media_check_async` (which then fetches the image URL and pushes a signed
 * `wxa_media_check` verdict to `security.configureMediaCheck({pushUrl})`) (`wx.security`). code2Session has the quirks that matter (see
 * /work/shared/notes/wechat-platform.md §1):
 * - success carries NO `errcode` field (WeChat stopped sending `errcode: 0`);
 * - a code works once; the second exchange gets 40163 "code been used, rid: …";
 * - errors come back as HTTP 200 with `{errcode, errmsg}`, errmsg ending in a request id.
 *
 * Any code not listed as invalid is treated as freshly issued by `wx.login`.
 *
 * @example
 * const wx = await startFakeWechatServer({ appId: 'wx1', appSecret: 's' });
 * wx.setScript('code-a', [-1]); // first call: system error; second: success
 * wx.security.configure({ riskyWords: ['炸药配方'] });
 * wx.security.setSecCheckScript([45009, { hang: true }]);
 * // point the code under test at `${wx.url}` (it stands for https://api.weixin.qq.com)
 * await wx.close();
 */
import { createHash, randomBytes } from 'node:crypto';
import { createFakeSecurityApi, type FakeSecurityApi, type FakeSecurityOptions } from './fake-wechat-security.js';
import { listenLoopback } from './listen-loopback.js';
import { createServer, type ServerResponse } from 'node:http';

/** One scripted answer for a code: an errcode (message filled in), a custom error, or silence. */
export type WechatScriptStep =
  | number
  | { errcode: number; errmsg?: string }
  | { hang: true }
  /** a non-200 from WeChat's edge, e.g. 502 with an HTML body */
  | { httpStatus: number; body?: string };

/** Also takes the security API's options (token lifetime, risky/review words, inactive openids). */
export interface FakeWechatOptions extends Omit<FakeSecurityOptions, 'appId' | 'appSecret'> {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  appId?: string;
  appSecret?: string;
  /** Also return a `unionid` (as when the mini-program is bound to an Open Platform account). */
  withUnionId?: boolean;
  /** Codes answered with 40029 (expired, forged, or from another appid). */
  invalidCodes?: Iterable<string>;
  /** Delay before every answer, in ms. */
  latencyMs?: number;
  /** Accept requests and never answer (timeouts, abort tests). */
  hang?: boolean;
  /** Per-code scripts, same as calling `setScript` for each entry. */
  scripts?: Record<string, WechatScriptStep[]>;
  /** Delay before every msg_sec_check answer, in ms (instead of `latencyMs`); the benchmark uses 50 and 400. */
  secCheckLatencyMs?: number;
}

export interface FakeWechatCalls {
  /** every request received, any path */
  total: number;
  /** jscode2session requests per `js_code` (also counts scripted and rejected ones) */
  byCode: Map<string, number>;
}

export interface FakeWechatServer {
  /** e.g. http://127.0.0.1:54321 — use it where https://api.weixin.qq.com would go */
  url: string;
  appId: string;
  appSecret: string;
  calls: FakeWechatCalls;
  /** stable_token and msg_sec_check: call counts, checked texts, token expiry, scripts */
  security: FakeSecurityApi;
  /** Steps consumed one per call for this code; when exhausted the code behaves normally. */
  setScript(code: string, responses: WechatScriptStep[]): void;
  /** Change latency / hang while running. */
  configure(change: Pick<FakeWechatOptions, 'latencyMs' | 'hang' | 'secCheckLatencyMs'>): void;
  /** Deterministic ids the server returns for a code, for assertions. */
  openIdFor(code: string): string;
  unionIdFor(code: string): string;
  close(): Promise<void>;
}

const ERRMSG: Record<number, string> = {
  [-1]: 'system error',
  40002: 'invalid grant_type',
  40013: 'invalid appid',
  40029: 'invalid code',
  40125: 'invalid appsecret',
  40163: 'code been used',
  40226: 'code blocked',
  41008: 'missing code',
  45011: 'api minute-quota reach limit  mustslower  retry next minute',
  44991: 'reach max api minute frequence',
  45009: 'reach max api daily quota limit',
  61010: 'code is expired',
};

const digest = (prefix: string, code: string): string =>
  prefix + createHash('sha256').update(code).digest('base64url').slice(0, 27);

/** WeChat appends a request id to every errmsg; clients must not compare errmsg exactly. */
const rid = (): string => `${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;

export const wechatError = (errcode: number, errmsg = ERRMSG[errcode] ?? 'error') => ({
  errcode,
  errmsg: `${errmsg}, rid: ${rid()}`,
});

export async function startFakeWechatServer(opts: FakeWechatOptions = {}): Promise<FakeWechatServer> {
  const appId = opts.appId ?? 'wx-fake-appid';
  const appSecret = opts.appSecret ?? 'fake-app-secret';
  const invalid = new Set(opts.invalidCodes ?? []);
  const used = new Set<string>();
  const scripts = new Map<string, WechatScriptStep[]>(Object.entries(opts.scripts ?? {}).map(([c, s]) => [c, [...s]]));
  const calls: FakeWechatCalls = { total: 0, byCode: new Map() };
  let latencyMs = opts.latencyMs ?? 0;
  let hang = opts.hang ?? false;
  let secCheckLatencyMs = opts.secCheckLatencyMs;
  const timers = new Set<NodeJS.Timeout>();

  const sendJson = (res: ServerResponse, body: unknown, status = 200): void => {
    // text/plain on purpose: reports (unverified in the notes) say WeChat labels this JSON
    // text/plain; serving it keeps clients from relying on the content-type.
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(JSON.stringify(body));
  };

  /** Decides the answer at arrival time (so single-use holds under concurrency), sends it later. */
  const answer = (query: URLSearchParams): ((res: ServerResponse) => void) | 'hang' => {
    const code = query.get('js_code') ?? '';
    if (code) calls.byCode.set(code, (calls.byCode.get(code) ?? 0) + 1);
    // Credential checks come first: a wrong secret must not burn the user's code.
    if (query.get('appid') !== appId) return (res) => sendJson(res, wechatError(40013));
    if (query.get('secret') !== appSecret) return (res) => sendJson(res, wechatError(40125));
    if (query.get('grant_type') !== 'authorization_code') return (res) => sendJson(res, wechatError(40002));
    if (!code) return (res) => sendJson(res, wechatError(41008));
    const step = scripts.get(code)?.shift();
    if (step !== undefined) {
      // Scripted failures leave the code unused, like a real -1 / 45011 does.
      if (typeof step === 'number') return (res) => sendJson(res, wechatError(step));
      if ('hang' in step) return 'hang';
      if ('httpStatus' in step) {
        return (res) => {
          res.writeHead(step.httpStatus, { 'content-type': 'text/html' });
          res.end(step.body ?? '<html><body>502 Bad Gateway</body></html>');
        };
      }
      return (res) => sendJson(res, wechatError(step.errcode, step.errmsg));
    }
    if (invalid.has(code)) return (res) => sendJson(res, wechatError(40029));
    if (used.has(code)) return (res) => sendJson(res, wechatError(40163));
    used.add(code);
    const body: Record<string, string> = {
      session_key: createHash('sha256').update(`sk:${code}`).digest('base64').slice(0, 24),
      openid: digest('o', code),
    };
    if (opts.withUnionId) body.unionid = digest('u', `union:${code}`);
    return (res) => sendJson(res, body);
  };

  const security = createFakeSecurityApi({ ...opts, appId, appSecret }, sendJson, wechatError);

  const send = (res: ServerResponse, reply: ((res: ServerResponse) => void) | 'hang', delayMs: number): void => {
    if (hang || reply === 'hang') return; // the socket stays open until the client gives up or close()
    if (delayMs <= 0) return reply(res);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) reply(res);
    }, delayMs);
    timers.add(timer);
  };

  const server = createServer((req, res) => {
    calls.total += 1;
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'GET' && url.pathname === '/sns/jscode2session') return send(res, answer(url.searchParams), latencyMs);
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const reply = security.answer(url.pathname, url.searchParams, Buffer.concat(chunks).toString('utf8'));
        if (!reply) return sendJson(res, { errcode: 404, errmsg: 'not served by fake wechat' }, 404);
        const delay = url.pathname === '/wxa/msg_sec_check' ? (secCheckLatencyMs ?? latencyMs) : latencyMs;
        send(res, reply, delay);
      });
      return;
    }
    sendJson(res, { errcode: 404, errmsg: 'not served by fake wechat' }, 404);
  });

  const origin = await listenLoopback(server, opts.port, opts.host);

  let closing: Promise<void> | undefined;
  return {
    url: origin,
    appId,
    appSecret,
    calls,
    security,
    setScript: (code, responses) => void scripts.set(code, [...responses]),
    configure: (change) => {
      latencyMs = change.latencyMs ?? latencyMs;
      hang = change.hang ?? hang;
      secCheckLatencyMs = change.secCheckLatencyMs ?? secCheckLatencyMs;
    },
    openIdFor: (code) => digest('o', code),
    unionIdFor: (code) => digest('u', `union:${code}`),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        // Hanging and keep-alive sockets would otherwise hold close() open forever.
        server.closeAllConnections();
      })),
  };
}
