import { WechatError } from './wechat-error.js';

/** What every WeChat server API answers: errcode 0 or absent means success. */
export interface WechatReply {
  errcode?: number;
  errmsg?: string;
  [field: string]: unknown;
}

/**
 * POSTs JSON to a WeChat server API and reads the reply. Transport failures become
 * `WechatError` ('timeout' when `signal` fired with a TimeoutError, else 'failed'); an errcode
 * is returned, not thrown, because what it means depends on the API.
 *
 * Its messages never contain the URL: it may carry an access_token.
 */
export async function postWechatJson(
  fetchImpl: typeof fetch,
  url: URL,
  body: unknown,
  signal: AbortSignal,
  what: string,
): Promise<WechatReply> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  } catch (error) {
    throw transportError(error, what);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new WechatError('failed', `${what} answered HTTP ${response.status}`);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw transportError(error, what);
  }
  try {
    return JSON.parse(text) as WechatReply;
  } catch {
    throw new WechatError('failed', `${what} answered unreadable JSON`);
  }
}

function transportError(error: unknown, what: string): WechatError | unknown {
  const name = error instanceof Error ? error.name : '';
  // the caller's own abort is not WeChat's fault: pass it on untouched
  if (name === 'AbortError') return error;
  // no `cause`: undici's errors can quote the request, and the URL holds the token
  return new WechatError(name === 'TimeoutError' ? 'timeout' : 'failed', `${what} request failed (${name || 'error'})`);
}
