/**
 * A real HTTP server standing in for an OpenAI-compatible endpoint, so the driver is tested
 * through the real `openai` SDK, real fetch and real sockets.
 *
 * Serves `POST {basePath}/chat/completions` (SSE when `stream: true`, JSON otherwise),
 * `POST {basePath}/embeddings` and `GET {basePath}/models`; `/v1` always works too.
 * Faults are queued and consumed one per chat/embeddings request (after the key check),
 * so a test scripts "429, then success" with one `pushFault`.
 *
 * @example
 * const llm = await startFakeLlmServer({ apiKey: 'k', deltaLatencyMs: 5 });
 * llm.pushFault({ status: 429, retryAfter: 0.2 });
 * // new OpenAI({ baseURL: llm.baseUrl, apiKey: 'k' }) … → retried, then "收到：…"
 * assert.equal(llm.requests.length, 2);
 * await llm.close();
 */
import { listenLoopback } from './listen-loopback.js';
import { createFakeSpeech, type FakeSpeech } from './fake-speech.js';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createFakeAsr, imagePartsOf, type FakeAsrFault, type FakeTranscriptFn, type RecordedTranscription } from './fake-asr.js';
import {
  argsText, chunkFactory, completionBody, countTokens, defaultReply, fakeEmbedding, promptTokens, splitDeltas,
  toBase64Floats, toolCallId, type FakeChatBody, type FakeReplyFn, type FakeRequestBody,
} from './fake-llm-replies.js';

export type { FakeAsrFault, FakeTranscriptFn, RecordedTranscription } from './fake-asr.js';
export { imagePartsOf } from './fake-asr.js';
export type { FakeChatBody, FakeReply, FakeReplyFn, FakeRequestBody, FakeToolCall } from './fake-llm-replies.js';
export { defaultReply, fakeEmbedding, lastUserText } from './fake-llm-replies.js';

export type FakeLlmFault =
  /** an HTTP error; `retryAfter` (seconds, or an HTTP date string) becomes the Retry-After header */
  | { status: number; retryAfter?: number | string; message?: string }
  /** accept the request and never answer */
  | { hang: true }
  /** stream the role chunk and n deltas (text or tool-call fragments), then drop the connection */
  | { cutAfterDeltas: number };

export interface FakeLlmOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** e.g. '/compatible-mode/v1'; default '/v1' */
  basePath?: string;
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
  /** Model id echoed in responses when the request names none. */
  model?: string;
  reply?: FakeReplyFn;
  /** Pause between streamed deltas, in ms (default 0). */
  deltaLatencyMs?: number;
  /** Pause after the response headers, before the first chunk, in ms (default 0). */
  firstTokenLatencyMs?: number;
  /** Characters per text delta (default 2). */
  deltaChars?: number;
  /** Default embedding dimension (default 64); a request's `dimensions` wins. */
  embeddingDimensions?: number;
  faults?: FakeLlmFault[];
  /**
   * Answer every chat request carrying `tools` with 400 and this message, as a server whose
   * model has no function calling does — e.g. Ollama's "llama2 does not support tools".
   */
  refuseTools?: string;
  /**
   * Answer every chat request carrying `image_url` parts with 400 and this message, as a
   * text-only model does — e.g. OpenAI's "Invalid content type. image_url is only supported by certain models."
   */
  refuseImages?: string;
  /** what `/audio/transcriptions` answers (default "退货政策是什么") */
  transcript?: string | FakeTranscriptFn;
}

export interface RecordedLlmRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: FakeRequestBody;
}

export interface FakeLlmServer {
  /** e.g. http://127.0.0.1:54321/v1 — what `baseURL` takes */
  baseUrl: string;
  /** every chat/embeddings request received, in order, including faulted ones */
  requests: RecordedLlmRequest[];
  /** responses whose client closed the connection before the server finished */
  abortedCount(): number;
  pushFault(fault: FakeLlmFault): void;
  setReply(fn: FakeReplyFn): void;
  /** see `FakeLlmOptions.refuseTools`; undefined accepts tools again */
  setRefuseTools(message: string | undefined): void;
  /** see `FakeLlmOptions.refuseImages`; undefined accepts images again */
  setRefuseImages(message: string | undefined): void;
  /** chat requests that carried `image_url` parts (also in `requests`) */
  visionRequests(): RecordedLlmRequest[];
  /** every `/audio/transcriptions` upload, in order (its own list: not in `requests`) */
  transcriptions: RecordedTranscription[];
  /** queued for, and consumed by, transcription requests only */
  pushAsrFault(fault: FakeAsrFault): void;
  setTranscript(text: string | FakeTranscriptFn): void;
  /** `/audio/speech` (text-to-speech): its requests, faults and pacing — test/support/fake-speech.ts */
  speech: FakeSpeech;
  close(): Promise<void>;
}

const openAiError = (res: ServerResponse, status: number, message: string, code: string | null, headers = {}) => {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message, type: status === 429 ? 'requests' : 'invalid_request_error', param: null, code } }));
};

/** OpenAI echoes a masked key ("sk-ab***wxyz"); the driver must still never echo ours. */
const masked = (key: string): string => (key.length > 8 ? `${key.slice(0, 3)}***${key.slice(-4)}` : '***');

export async function startFakeLlmServer(opts: FakeLlmOptions = {}): Promise<FakeLlmServer> {
  const basePath = (opts.basePath ?? '/v1').replace(/\/$/, '');
  const faults: FakeLlmFault[] = [...(opts.faults ?? [])];
  const requests: RecordedLlmRequest[] = [];
  let reply = opts.reply ?? defaultReply;
  let refuseTools = opts.refuseTools;
  let refuseImages = opts.refuseImages;
  const asr = createFakeAsr(opts.transcript);
  let aborted = 0;
  /** responses we destroyed on purpose: not client aborts */
  const cut = new WeakSet<ServerResponse>();
  let seq = 0;
  const pause = (ms: number | undefined) => (ms && ms > 0 ? sleep(ms) : Promise.resolve());

  async function streamChat(res: ServerResponse, body: FakeChatBody, id: number, cutAfter?: number) {
    const chunks = chunkFactory(id, body.model ?? opts.model ?? 'fake-model', body.stream_options?.include_usage === true);
    const answer = reply(body);
    const send = (data: unknown) => !res.destroyed && res.write(`data: ${JSON.stringify(data)}\n\n`);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    await pause(opts.firstTokenLatencyMs);
    let completion = 0;
    let deltas = 0;
    /** false once the client left or the fault says cut */
    const next = async (): Promise<boolean> => {
      if (cutAfter !== undefined && deltas >= cutAfter) {
        cut.add(res);
        // Since Node 22 the response holds chunked writes until the next tick and merges them;
        // destroying the socket before then silently dropped the deltas (a "cut after 2" that cut
        // after 0 on Node 24). Let them reach the socket first.
        await new Promise((resolve) => setImmediate(resolve));
        // destroySoon: flush what was written (the client must see those deltas), then drop the
        // connection without finishing the chunked body, like a proxy dying mid-answer.
        res.socket?.destroySoon();
        return false;
      }
      if (res.destroyed) return false;
      deltas += 1;
      await pause(opts.deltaLatencyMs);
      return !res.destroyed;
    };
    if (typeof answer === 'string') {
      send(chunks.choice({ role: 'assistant', content: '', refusal: null }));
      for (const text of splitDeltas(answer, opts.deltaChars ?? 2)) {
        if (!(await next())) return;
        send(chunks.choice({ content: text }));
        completion += countTokens(text);
      }
      if (cutAfter !== undefined && !(await next())) return;
      send(chunks.choice({}, 'stop'));
    } else {
      send(chunks.choice({ role: 'assistant', content: null, refusal: null }));
      for (const [index, call] of answer.toolCalls.entries()) {
        // OpenAI: the first delta of a call carries id + name, later ones only argument fragments.
        const head = { index, id: toolCallId(id, index), type: 'function', function: { name: call.name, arguments: '' } };
        if (!(await next())) return;
        send(chunks.choice({ tool_calls: [head] }));
        for (const part of splitDeltas(argsText(call), 8)) {
          if (!(await next())) return;
          send(chunks.choice({ tool_calls: [{ index, function: { arguments: part } }] }));
          completion += countTokens(part);
        }
      }
      if (cutAfter !== undefined && !(await next())) return;
      send(chunks.choice({}, 'tool_calls'));
    }
    if (body.stream_options?.include_usage) send(chunks.usage(promptTokens(body), completion));
    if (!res.destroyed) res.end('data: [DONE]\n\n');
  }

  async function handle(req: IncomingMessage, res: ServerResponse, path: string, raw: string) {
    let body: FakeRequestBody;
    try {
      body = JSON.parse(raw || '{}') as FakeRequestBody;
    } catch {
      return openAiError(res, 400, 'We could not parse the JSON body of your request.', null);
    }
    requests.push({ method: req.method ?? '', path, headers: req.headers, body });
    const fault = faults.shift();
    if (fault && 'hang' in fault) return; // socket stays open until the client aborts or close()
    if (fault && 'status' in fault) {
      const headers = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
      const msg = fault.message ?? (fault.status === 429 ? 'Rate limit reached. Please try again later.' : 'The server had an error while processing your request.');
      return openAiError(res, fault.status, msg, null, headers);
    }
    const id = ++seq;
    if (path.endsWith('/embeddings')) {
      const inputs = typeof body.input === 'string' ? [body.input] : (body.input ?? []);
      const dims = body.dimensions ?? opts.embeddingDimensions ?? 64;
      const tokens = inputs.reduce((n, t) => n + countTokens(t), 0);
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({
        object: 'list',
        data: inputs.map((text, index) => {
          const v = fakeEmbedding(text, dims);
          return { object: 'embedding', index, embedding: body.encoding_format === 'base64' ? toBase64Floats(v) : v };
        }),
        model: body.model ?? opts.model ?? 'fake-embedding',
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      }));
    }
    if (!Array.isArray(body.messages)) return openAiError(res, 400, "Missing required parameter: 'messages'.", null);
    const chat = body as FakeChatBody;
    if (refuseTools !== undefined && chat.tools?.length) return openAiError(res, 400, refuseTools, null);
    if (refuseImages !== undefined && imagePartsOf(chat).length > 0) return openAiError(res, 400, refuseImages, null);
    const cutAfter = fault && 'cutAfterDeltas' in fault ? fault.cutAfterDeltas : undefined;
    if (chat.stream) return streamChat(res, chat, id, cutAfter);
    await pause(opts.firstTokenLatencyMs);
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(completionBody(id, chat.model ?? opts.model ?? 'fake-model', reply(chat), promptTokens(chat))));
  }

  // --- media endpoints (each in its own file; they share the key check) ---
  const speech = createFakeSpeech();
  const media = (path: string): ((req: IncomingMessage, res: ServerResponse) => void) | undefined => {
    if (speech.matches(path, basePath)) return (req, res) => speech.serve(req, res);
    return undefined;
  };
  // --- end media endpoints ---

  const server = createServer((req, res) => {
    // A client that disconnects before we finish is what "the gateway aborted upstream" looks like.
    res.on('close', () => {
      if (!res.writableFinished && !cut.has(res)) aborted += 1;
    });
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const route = [basePath, '/v1'].flatMap((b) => [`${b}/chat/completions`, `${b}/embeddings`, `${b}/models`, `${b}/audio/transcriptions`]);
    const mediaHandler = media(path);
    if (!route.includes(path) && !mediaHandler) return openAiError(res, 404, `Unknown request URL: ${req.method} ${path}.`, 'unknown_url');
    if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      const got = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
      return openAiError(res, 401, `Incorrect API key provided: ${masked(got)}.`, 'invalid_api_key');
    }
    if (path.endsWith('/audio/transcriptions')) return asr.handle(req, res);
    if (mediaHandler) return mediaHandler(req, res);
    if (path.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ object: 'list', data: [{ id: opts.model ?? 'fake-model', object: 'model', created: 0, owned_by: 'fake' }] }));
    }
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => void handle(req, res, path, raw).catch(() => res.destroy()));
  });

  const origin = await listenLoopback(server, opts.port, opts.host);

  let closing: Promise<void> | undefined;
  return {
    baseUrl: `${origin}${basePath}`,
    requests,
    abortedCount: () => aborted,
    pushFault: (fault) => void faults.push(fault),
    setReply: (fn) => void (reply = fn),
    setRefuseTools: (message) => void (refuseTools = message),
    setRefuseImages: (message) => void (refuseImages = message),
    visionRequests: () => requests.filter((r) => imagePartsOf(r.body).length > 0),
    transcriptions: asr.transcriptions,
    pushAsrFault: asr.pushFault,
    setTranscript: asr.setTranscript,
    speech,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // hanging streams would hold close() forever
      })),
  };
}
