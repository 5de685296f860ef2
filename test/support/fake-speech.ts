/**
 * The fake model server's `POST {basePath}/audio/speech` (OpenAI-compatible text-to-speech),
 * kept apart from fake-llm-server.ts so other media endpoints can sit beside it.
 *
 * Answers every request with real MP3 bytes: a few words spoken by espeak-ng and encoded by
 * ffmpeg (Debian packages) once per process, so players and ffprobe can check what the
 * gateway serves. Requests are recorded; faults are queued and consumed one per request.
 *
 * @example
 * const llm = await startFakeLlmServer();
 * llm.speech.pushFault({ cutAfterBytes: 500 });
 * // GET /wechat/speech/{id} → the connection breaks after the first bytes
 * assert.equal(llm.speech.requests.length, 1);
 */
import { execFileSync } from 'node:child_process';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export type FakeSpeechFault =
  /** accept the request and never answer */
  | { hang: true }
  /** an OpenAI-style JSON error */
  | { status: number; message?: string }
  /** 200 but not audio: a JSON body, an HTML page, bytes labelled audio/mpeg that are not MP3, or nothing */
  | { garbage: 'json' | 'html' | 'not-mp3' | 'empty' }
  /** send this many bytes of the audio, then drop the connection */
  | { cutAfterBytes: number }
  /** no fault: answer normally (queue it before a fault meant for a later request) */
  | { ok: true };

export interface RecordedSpeechRequest {
  headers: IncomingHttpHeaders;
  body: { model?: string; input?: string; voice?: string; response_format?: string };
}

export interface FakeSpeech {
  /** every /audio/speech request, in order, faulted ones included */
  requests: RecordedSpeechRequest[];
  /** the MP3 every successful request answers with */
  readonly audio: Buffer;
  pushFault(fault: FakeSpeechFault): void;
  /** send the audio in this many parts, `ms` apart (default: 1 part, no pause) */
  setPacing(parts: number, ms: number): void;
  /** true when `path` is this endpoint under `basePath` (or /v1) */
  matches(path: string, basePath: string): boolean;
  serve(req: IncomingMessage, res: ServerResponse): void;
}

let spoken: Buffer | undefined;

/**
 * "你好，这是语音测试。" as MP3 (ID3 tag + frames), made once per process. Synchronous (it
 * blocks this process for a moment): tests with short provider timeouts read `speech.audio`
 * in their `before` so it is made before any deadline runs.
 */
export function fakeMp3(): Buffer {
  spoken ??= execFileSync(
    'sh',
    ['-c', 'espeak-ng -v cmn --stdout "你好，这是语音测试。" | ffmpeg -loglevel error -f wav -i - -ac 1 -ar 16000 -b:a 32k -f mp3 -'],
    { maxBuffer: 10 * 1024 * 1024 },
  );
  if (spoken.length < 1000) throw new Error('espeak-ng + ffmpeg made no MP3: are both installed?');
  return spoken;
}

export function createFakeSpeech(): FakeSpeech {
  const faults: FakeSpeechFault[] = [];
  const requests: RecordedSpeechRequest[] = [];
  let parts = 1;
  let pauseMs = 0;

  async function answer(res: ServerResponse, fault: FakeSpeechFault | undefined): Promise<void> {
    if (fault && 'hang' in fault) return;
    if (fault && 'status' in fault) {
      res.writeHead(fault.status, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: { message: fault.message ?? 'The server had an error while processing your request.', type: 'server_error' } }));
    }
    if (fault && 'garbage' in fault) {
      const [type, body] = {
        json: ['application/json', '{"error":{"message":"voice not found"}}'],
        html: ['text/html', '<html><body>502 Bad Gateway</body></html>'],
        'not-mp3': ['audio/mpeg', 'this is certainly not an mp3 file, only text'],
        empty: ['audio/mpeg', ''],
      }[fault.garbage] as [string, string];
      res.writeHead(200, { 'content-type': type });
      return void res.end(body);
    }
    const audio = fakeMp3();
    res.writeHead(200, { 'content-type': 'audio/mpeg', 'transfer-encoding': 'chunked' });
    if (fault && 'cutAfterBytes' in fault) {
      res.write(audio.subarray(0, fault.cutAfterBytes));
      await new Promise((resolve) => setImmediate(resolve));
      res.socket?.destroySoon();
      return;
    }
    const size = Math.ceil(audio.length / parts);
    for (let i = 0; i < parts; i++) {
      if (res.destroyed) return;
      if (i > 0 && pauseMs > 0) await sleep(pauseMs);
      res.write(audio.subarray(i * size, (i + 1) * size));
    }
    res.end();
  }

  return {
    requests,
    // made on first use: servers that never synthesize never run espeak-ng
    get audio() {
      return fakeMp3();
    },
    pushFault: (fault) => void faults.push(fault),
    setPacing: (n, ms) => {
      parts = Math.max(1, n);
      pauseMs = ms;
    },
    matches: (path, basePath) => path === `${basePath}/audio/speech` || path === '/v1/audio/speech',
    serve(req, res) {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (raw += chunk));
      req.on('end', () => {
        let body: RecordedSpeechRequest['body'];
        try {
          body = JSON.parse(raw || '{}') as RecordedSpeechRequest['body'];
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' });
          return void res.end('{"error":{"message":"We could not parse the JSON body of your request."}}');
        }
        requests.push({ headers: req.headers, body });
        if (typeof body.input !== 'string' || body.input === '') {
          res.writeHead(400, { 'content-type': 'application/json' });
          return void res.end('{"error":{"message":"Missing required parameter: \'input\'."}}');
        }
        void answer(res, faults.shift()).catch(() => res.destroy());
      });
    },
  };
}
