/**
 * The lean HTTP client for streamed chat completions: one POST over node:http(s) with a
 * keep-alive agent, the SSE body decoded by `SseDecoder`, each event parsed once into the
 * chunk object the driver reads. It replaces, on the streaming hot path only, the `openai`
 * SDK's stack (fetch + web streams + byte-level SSE decoding + per-chunk copies), which cost
 * ~2× the CPU per streamed token (docs/performance.md has the figures).
 *
 * Failures are thrown as `UpstreamFailure` (status, stream error event, connection) or as
 * the plain error a cut socket / garbled line produced; `mapLlmFailure` maps both, the same
 * way as the SDK client's.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type ClientRequest } from 'node:http';
import https from 'node:https';
import { bodyDetail, causeText, errorObjectDetail } from './map-llm-failure.js';
import { retryAfterMs, type HeaderLookup } from './retry-policy.js';
import { SseDecoder } from './sse-decoder.js';
import { UpstreamFailure } from './upstream-failure.js';

/** An error body longer than this is not read further: its start says what went wrong. */
const MAX_ERROR_BODY_CHARS = 64 * 1024;
/** Parsed chunks waiting for the reader before the socket is paused (backpressure). */
const HIGH_WATER = 64;

export interface HttpChatStreamOptions {
  /** e.g. https://api.deepseek.com/v1 — `/chat/completions` is appended */
  baseURL: string;
  /** sent only as the Bearer header */
  apiKey: string;
}

export class HttpChatStream {
  /** host, port and path, parsed once (not per request) */
  readonly #target: http.RequestOptions;
  readonly #request: typeof http.request;
  readonly #agent: http.Agent;
  readonly #headers: Record<string, string>;

  constructor(options: HttpChatStreamOptions) {
    const url = new URL(`${options.baseURL.replace(/\/+$/, '')}/chat/completions`);
    const secure = url.protocol === 'https:';
    // keep-alive: a streamed answer is one request on a warm connection, no handshake per chat;
    // lifo: the most recently used sockets serve, the others idle out
    const agentOptions = { keepAlive: true, scheduling: 'lifo' as const };
    this.#agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.#request = secure ? https.request : http.request;
    this.#target = {
      protocol: url.protocol,
      // [::1] → ::1: node:http wants the bare address
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      agent: this.#agent,
      ...(url.username && { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` }),
    };
    this.#headers = {
      authorization: `Bearer ${options.apiKey}`,
      'content-type': 'application/json',
      accept: 'application/json',
      // an SSE body is never worth compressing, and a compressed one would need a decoder here
      'accept-encoding': 'identity',
      'user-agent': 'wechat-ai-gateway',
    };
  }

  /**
   * Sends the request; resolves once a 2xx answer's headers arrived, with its chunks. Aborting
   * `signal` destroys the request (the server sees the connection close), as does a reader
   * that stops early (`return()`).
   */
  open(params: object, signal: AbortSignal): Promise<AsyncIterableIterator<unknown>> {
    const body = JSON.stringify(params);
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new UpstreamFailure('aborted', 'aborted before the request'));
      const req = this.#request({ ...this.#target, headers: { ...this.#headers, 'content-length': String(Buffer.byteLength(body)) } });
      // Our own listener rather than the `signal` option, which hangs a stream-cleanup helper
      // (end-of-stream) on every request.
      const onAbort = () => req.destroy(new UpstreamFailure('aborted', 'request aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      req.once('close', () => signal.removeEventListener('abort', onAbort));
      // stays attached for the request's life: an error after the answer began is reported
      // by the response (and would otherwise be an unhandled 'error' event)
      req.on('error', (error) => reject(error instanceof UpstreamFailure ? error : new UpstreamFailure('connect', causeText(error), undefined, undefined, { cause: error })));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve(new ChunkStream(req, res));
        else readErrorBody(res, status).then(reject, reject);
      });
      req.end(body);
    });
  }

  /** Closes the idle keep-alive connections (shutdown, tests). */
  close(): void {
    this.#agent.destroy();
  }
}

const headerLookup = (headers: IncomingHttpHeaders): HeaderLookup => ({
  get: (name) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  },
});

/** A non-2xx answer as an UpstreamFailure (read to its end, so the connection can be reused). */
function readErrorBody(res: IncomingMessage, status: number): Promise<never> {
  return new Promise((_, reject) => {
    let text = '';
    // fetch (the SDK) followed redirects; an API endpoint that redirects is a wrong LLM_BASE_URL
    // (http:// for https://, a missing /v1): say where it points instead of showing an HTML page
    const location = status >= 300 && status < 400 ? res.headers.location : undefined;
    const detail = () => (location ? `redirected to ${location}: check LLM_BASE_URL` : bodyDetail(status, text));
    const fail = () => reject(new UpstreamFailure('status', detail(), status, retryAfterMs(headerLookup(res.headers))));
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (text.length < MAX_ERROR_BODY_CHARS) text += chunk;
      else res.destroy();
    });
    res.on('end', fail);
    res.on('close', fail);
    res.on('error', fail);
  });
}

/**
 * The parsed chunks of one 2xx SSE answer, as an async iterator fed by the socket's 'data'
 * events: chunks that arrived together are handed out without waiting, and the socket is
 * paused while the reader is behind. Ends at the end of the body (`[DONE]` only stops the
 * parsing); a body cut short, a garbled event or an `{ "error": … }` event fails it.
 */
class ChunkStream implements AsyncIterableIterator<unknown> {
  readonly #queue: unknown[] = [];
  #ended = false;
  #failed = false;
  #failure: unknown;
  #sawDone = false;
  #paused = false;
  #resolve: ((result: IteratorResult<unknown>) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;

  constructor(
    private readonly req: ClientRequest,
    private readonly res: IncomingMessage,
  ) {
    const sse = new SseDecoder((data) => this.#event(data));
    res.setEncoding('utf8');
    res.on('data', (text: string) => sse.push(text));
    res.on('end', () => this.#end());
    res.on('error', (error) => this.#fail(error));
    res.on('close', () => (res.complete ? this.#end() : this.#fail(new Error('model stream closed before its end'))));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.#queue.length > 0) {
      const value = this.#queue.shift();
      if (this.#paused && this.#queue.length === 0) {
        this.#paused = false;
        this.res.resume();
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#failed) return Promise.reject(this.#failure);
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** The reader stopped early: the server must see the connection close. */
  return(): Promise<IteratorResult<unknown>> {
    this.#ended = true;
    this.req.destroy();
    return Promise.resolve({ value: undefined, done: true });
  }

  #event(data: string): void {
    if (this.#sawDone || this.#failed) return;
    if (data.startsWith('[DONE]')) {
      this.#sawDone = true;
      return;
    }
    let chunk: { error?: unknown } | null;
    try {
      chunk = JSON.parse(data) as { error?: unknown } | null;
    } catch (error) {
      return this.#fail(error);
    }
    if (chunk?.error) {
      const retryAfter = retryAfterMs(headerLookup(this.res.headers));
      return this.#fail(new UpstreamFailure('stream-error', errorObjectDetail(chunk.error), undefined, retryAfter));
    }
    const resolve = this.#resolve;
    if (resolve) {
      this.#resolve = this.#reject = undefined;
      resolve({ value: chunk, done: false });
      return;
    }
    this.#queue.push(chunk);
    if (!this.#paused && this.#queue.length >= HIGH_WATER) {
      this.#paused = true;
      this.res.pause();
    }
  }

  #end(): void {
    if (this.#ended || this.#failed) return;
    this.#ended = true;
    const resolve = this.#resolve;
    this.#resolve = this.#reject = undefined;
    resolve?.({ value: undefined, done: true });
  }

  #fail(error: unknown): void {
    if (this.#ended || this.#failed) return;
    this.#failed = true;
    this.#failure = error;
    const reject = this.#reject;
    this.#resolve = this.#reject = undefined;
    reject?.(error);
    this.req.destroy();
  }
}
