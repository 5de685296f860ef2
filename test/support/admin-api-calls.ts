import type { RunningGateway } from './start-gateway.js';

/**
 * The two calls the /admin/api suites (SQLite and Redis) make: read an admin endpoint with the
 * token, and chat as an openid over HTTP (the test gateway trusts `openid`) to fill the store.
 *
 * @example
 * const { auth, get, chat } = adminApiCalls(TOKEN);
 * await chat(gw, 'user_a', '怎么申请退货？');
 * const res = await get(gw, '/admin/api/conversations'); // res.body: the parsed JSON envelope
 */
export function adminApiCalls(token: string) {
  const auth = { authorization: `Bearer ${token}` };

  /** `body` is the parsed JSON when the response is JSON, else undefined (exports: read `text`) */
  async function get(gw: RunningGateway, path: string, headers: Record<string, string> = auth) {
    const response = await fetch(`${gw.url}${path}`, { headers });
    const text = await response.text();
    const json = String(response.headers.get('content-type')).startsWith('application/json');
    return { status: response.status, headers: response.headers, text, body: json ? JSON.parse(text) : undefined };
  }

  async function chat(gw: RunningGateway, openid: string, query: string) {
    const response = await fetch(`${gw.url}/wechat/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, openid }),
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  return { auth, get, chat };
}
