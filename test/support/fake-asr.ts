/**
 * The fake model server's `/audio/transcriptions` (OpenAI-compatible: multipart with `file` and
 * `model`, JSON `{text}` back), with its own fault queue so chat faults and ASR faults never
 * consume each other. Kept apart from fake-llm-server.ts, which routes to it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type FakeAsrFault =
  /** accept the upload and never answer */
  | { hang: true }
  /** an HTTP error with an OpenAI-shaped body */
  | { status: number; message?: string }
  /** 200 with a body that is not the expected JSON */
  | { garbage: true };

export interface RecordedTranscription {
  headers: IncomingMessage['headers'];
  /** the multipart text fields (model, language, response_format…) */
  fields: Record<string, string>;
  file: { filename: string; contentType: string; data: Buffer } | undefined;
}

/** What the fake says a recording contains; the default answers every file with the same text. */
export type FakeTranscriptFn = (upload: RecordedTranscription) => string;

export interface FakeAsr {
  transcriptions: RecordedTranscription[];
  pushFault(fault: FakeAsrFault): void;
  setTranscript(text: string | FakeTranscriptFn): void;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

export function createFakeAsr(initial: string | FakeTranscriptFn = '退货政策是什么'): FakeAsr {
  const transcriptions: RecordedTranscription[] = [];
  const faults: FakeAsrFault[] = [];
  let transcript: FakeTranscriptFn = typeof initial === 'string' ? () => initial : initial;
  return {
    transcriptions,
    pushFault: (fault) => void faults.push(fault),
    setTranscript: (text) => void (transcript = typeof text === 'string' ? () => text : text),
    handle(req, res) {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const recorded = { headers: req.headers, ...parseMultipart(Buffer.concat(chunks), req.headers['content-type'] ?? '') };
        transcriptions.push(recorded);
        const fault = faults.shift();
        if (fault && 'hang' in fault) return;
        const json = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (fault && 'status' in fault) return json(fault.status, { error: { message: fault.message ?? 'transcription failed', type: 'server_error' } });
        if (fault && 'garbage' in fault) {
          res.writeHead(200, { 'content-type': 'text/html' });
          return res.end('<html><body>502 Bad Gateway</body></html>');
        }
        if (!recorded.file) return json(400, { error: { message: "Missing required parameter: 'file'.", type: 'invalid_request_error' } });
        if (!recorded.fields.model) return json(400, { error: { message: "Missing required parameter: 'model'.", type: 'invalid_request_error' } });
        json(200, { text: transcript(recorded) });
      });
    },
  };
}

/** A small multipart/form-data reader: enough for what fetch's FormData sends. */
function parseMultipart(body: Buffer, contentType: string): Pick<RecordedTranscription, 'fields' | 'file'> {
  const fields: Record<string, string> = {};
  let file: RecordedTranscription['file'];
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) return { fields, file };
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    // each part: CRLF, headers, CRLF CRLF, content, CRLF
    const part = body.subarray(start + delimiter.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const content = part.subarray(split + 4);
    const name = /name="([^"]*)"/.exec(head)?.[1] ?? '';
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    if (filename !== undefined) {
      const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? 'application/octet-stream';
      if (name === 'file') file = { filename, contentType: type.trim(), data: Buffer.from(content) };
    } else {
      fields[name] = content.toString('utf8');
    }
    start = next;
  }
  return { fields, file };
}

/** The images of a recorded chat body: each `image_url` data URL's MIME type and decoded bytes. */
export function imagePartsOf(body: { messages?: Array<{ content?: unknown }> }): Array<{ mime: string; data: Buffer }> {
  const images: Array<{ mime: string; data: Buffer }> = [];
  for (const message of body.messages ?? []) {
    if (!Array.isArray(message.content)) continue;
    for (const part of message.content as Array<{ type?: string; image_url?: { url?: string } }>) {
      const match = part.type === 'image_url' ? /^data:([^;]+);base64,(.*)$/s.exec(part.image_url?.url ?? '') : null;
      if (match) images.push({ mime: match[1]!, data: Buffer.from(match[2]!, 'base64') });
    }
  }
  return images;
}
