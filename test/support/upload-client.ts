import { request } from 'node:http';

/** What the upload route answered: status and the JSON envelope. */
export interface UploadReply {
  status: number;
  body: any;
  headers: Headers | Record<string, string | string[] | undefined>;
}

/** Logs in with a dev code and returns the session id (the Bearer token uploads need). */
export async function sessionFor(baseUrl: string, code: string): Promise<{ sessionId: string; openid: string }> {
  const response = await fetch(`${baseUrl}/wechat/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  const body = (await response.json()) as any;
  return { sessionId: body.data.session_id, openid: body.data.openid };
}

/**
 * POST /wechat/upload with a real multipart encoder (undici's FormData, as a browser or the
 * console sends it). `files` adds more file parts; `fields` plain form fields.
 */
export async function uploadForm(
  baseUrl: string,
  sessionId: string | undefined,
  files: Array<{ field?: string; data: Buffer; name?: string; type?: string }>,
  fields: Record<string, string> = {},
): Promise<UploadReply> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const file of files) form.append(file.field ?? 'file', new Blob([file.data], { type: file.type ?? 'application/octet-stream' }), file.name ?? 'upload.bin');
  const response = await fetch(`${baseUrl}/wechat/upload`, {
    method: 'POST',
    headers: sessionId ? { authorization: `Bearer ${sessionId}` } : {},
    body: form,
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/**
 * The exact request wx.uploadFile makes (WeChat's client, as captured from DevTools and
 * devices): its own boundary, the `formData` fields first, then the file part with
 * name="file", the temp file's name (wxfile://tmp_… or http://tmp/…) and
 * Content-Type application/octet-stream — whatever the file is.
 */
export function wxUploadFile(
  baseUrl: string,
  sessionId: string,
  data: Buffer,
  options: { filename?: string; formData?: Record<string, string>; contentType?: string } = {},
): Promise<UploadReply> {
  const boundary = '----WebKitFormBoundaryWx3jd8KqP1Lm2Zc9';
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(options.formData ?? {})) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${options.filename ?? 'http://tmp/wx5f0c1b7e3d9a2f14.o6zAJs_tmp.png'}"\r\n` +
        `Content-Type: ${options.contentType ?? 'application/octet-stream'}\r\n\r\n`,
    ),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return rawPost(baseUrl, Buffer.concat(parts), {
    'content-type': `multipart/form-data; boundary=${boundary}`,
    authorization: `Bearer ${sessionId}`,
    'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0.44 miniProgram',
  });
}

/** A POST with exactly these bytes and headers (Content-Length set unless given). */
export function rawPost(baseUrl: string, body: Buffer, headers: Record<string, string>): Promise<UploadReply> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/wechat/upload`, { method: 'POST', headers: { 'content-length': String(body.length), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) });
        } catch {
          reject(new Error(`not JSON (${res.statusCode}): ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
