/** Small HTTP helpers for the spoken-answer tests: log in, ask, fetch speech as bytes. */

export async function login(url: string, code: string): Promise<{ openid: string; sessionId: string }> {
  const response = await fetch(`${url}/wechat/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  const body = (await response.json()) as { data: { openid: string; session_id: string } };
  return { openid: body.data.openid, sessionId: body.data.session_id };
}

/** Asks over HTTP; resolves with the stored answer's id. */
export async function ask(url: string, sessionId: string, query: string): Promise<string> {
  const response = await fetch(`${url}/wechat/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${sessionId}` },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { code: number; data: { id: string } };
  if (body.code !== 0) throw new Error(`chat failed: ${JSON.stringify(body)}`);
  return body.data.id;
}

export interface Fetched {
  status: number;
  headers: Headers;
  bytes: Buffer;
  /** the JSON envelope, for error replies */
  json?: { code: number; message: string; data: { reason?: string; url?: string; expires_at?: number } };
}

export async function getSpeech(url: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Fetched> {
  const response = await fetch(`${url}${path}`, { method, headers });
  const bytes = Buffer.from(await response.arrayBuffer());
  const json = (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(bytes.toString()) : undefined;
  return { status: response.status, headers: response.headers, bytes, json };
}

export const bearer = (sessionId: string) => ({ authorization: `Bearer ${sessionId}` });
