import { WechatError } from './wechat-error.js';
import { wechatRequest, type WechatHttpReply } from './wechat-request.js';

/** What every WeChat server API answers: errcode 0 or absent means success. */
export interface WechatReply {
  errcode?: number;
  errmsg?: string;
  [field: string]: unknown;
}

/**
 * Calls a WeChat server API (POST with a JSON body, or GET when `body` is undefined) and reads
 * its JSON reply. Transport failures become `WechatError` ('timeout' when `signal` fired with a
 * TimeoutError, else 'failed'), as do a non-2xx status and a reply that is not JSON; an
 * errcode is returned, not thrown, because what it means depends on the API.
 *
 * Its messages never contain the URL: it may carry the app secret or an access_token.
 */
export async function callWechatJson(url: URL, body: unknown, signal: AbortSignal, what: string): Promise<WechatReply> {
  let response: WechatHttpReply;
  try {
    response = await wechatRequest(url, body === undefined ? { method: 'GET', signal } : { method: 'POST', body: JSON.stringify(body), signal });
  } catch (error) {
    throw transportError(error, what);
  }
  if (response.status < 200 || response.status > 299) throw new WechatError('failed', `${what} answered HTTP ${response.status}`);
  try {
    return JSON.parse(response.text) as WechatReply;
  } catch {
    throw new WechatError('failed', `${what} answered unreadable JSON`);
  }
}

function transportError(error: unknown, what: string): WechatError | unknown {
  const name = error instanceof Error ? error.name : '';
  // the caller's own abort is not WeChat's fault: pass it on untouched
  if (name === 'AbortError') return error;
  // no `cause`: the error may quote the request, and the URL holds the token
  return new WechatError(name === 'TimeoutError' ? 'timeout' : 'failed', `${what} request failed (${name || 'error'})`);
}
