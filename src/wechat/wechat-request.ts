import http from 'node:http';
import https from 'node:https';

/** A WeChat API answers a few hundred bytes of JSON; a body past this is not one, and is not read further. */
const MAX_REPLY_CHARS = 1024 * 1024;

export interface WechatHttpReply {
  status: number;
  text: string;
}

/**
 * One request to a WeChat server API over node:http(s), the reply read whole as text. It is
 * what every login waits on (code2Session): `fetch` (undici's, web streams) took about three
 * times the CPU per request of node:http for the same exchange (docs/performance.md, round 6).
 * The global agents keep connections alive (Node ≥ 19) and are the ones Node points at a
 * proxy when NODE_USE_ENV_PROXY is set, as fetch is.
 *
 * Rejects with node:http's error, or with `signal.reason` once `signal` fired (a TimeoutError
 * for `AbortSignal.timeout()`), so callers tell a timeout from a failure by the error's name,
 * as with fetch. A reply longer than 1 MiB rejects too. Error messages never contain the URL:
 * it may carry the app secret or an access_token.
 */
export function wechatRequest(url: URL, init: { method: 'GET' | 'POST'; body?: string; signal: AbortSignal }): Promise<WechatHttpReply> {
  return new Promise((resolve, reject) => {
    const { signal } = init;
    if (signal.aborted) return reject(signal.reason);
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: init.method,
      headers: init.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json', 'content-length': Buffer.byteLength(init.body) },
    });
    // our own listener rather than the `signal` option, which wraps the reason in an AbortError
    const onAbort = () => request.destroy(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    request.once('close', () => signal.removeEventListener('abort', onAbort));
    request.on('error', reject);
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        if (text.length > MAX_REPLY_CHARS) request.destroy(new Error(`reply longer than ${MAX_REPLY_CHARS} characters`));
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.on('error', reject);
    });
    request.end(init.body);
  });
}
