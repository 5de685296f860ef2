/**
 * The lean HTTP client for streamed chat completions: one POST through undici's `dispatch` (the
 * engine under Node's fetch, without fetch, web streams or node:http's Readable), the SSE body
 * decoded by `SseDecoder`, each event parsed once into the chunk object the driver reads. It
 * replaces, on the streaming hot path only, the `openai` SDK's stack (fetch + web streams +
 * byte-level SSE decoding + per-chunk copies), which cost ~2× the CPU per streamed token; and
 * node:http's client, whose per-read stream machinery (Readable, StringDecoder, nextTick) cost
 * ~15% more CPU per streamed answer (docs/performance.md has the figures).
 *
 * Failures are thrown as `UpstreamFailure` (status, stream error event, connection) or as
 * the plain error a cut socket / garbled line produced; `mapLlmFailure` maps both, the same
 * way as the SDK client's.
 */
import { StringDecoder } from 'node:string_decoder';
import { Pool, type Dispatcher } from 'undici';
import { bodyDetail, causeText, errorObjectDetail } from './map-llm-failure.js';
import { retryAfterMs, type HeaderLookup } from './retry-policy.js';
import { SseDecoder } from './sse-decoder.js';
import { UpstreamFailure } from './upstream-failure.js';

/** An error body longer than this is not read further: its start says what went wrong. */
const MAX_ERROR_BODY_CHARS = 64 * 1024;
/** Parsed chunks waiting for the reader before the response is paused (backpressure). */
const HIGH_WATER = 64;

export interface HttpChatStreamOptions {
  /** e.g. https://api.deepseek.com/v1 — `/chat/completions` is appended */
  baseURL: string;
  /** sent only as the Bearer header */
  apiKey: string;
}

type Headers = Record<string, string | string[] | undefined>;

export class HttpChatStream {
  /** keep-alive connections to the one origin: a streamed answer is one request on a warm connection */
  readonly #pool: Pool;
  readonly #path: string;
  readonly #headers: Record<string, string>;

  constructor(options: HttpChatStreamOptions) {
    const url = new URL(`${options.baseURL.replace(/\/+$/, '')}/chat/completions`);
    // origin drops any user:pass@ (the key goes as Bearer; node:http's client never sent them either).
    // An idle connection is closed 2 s before the server's `Keep-Alive: timeout=N` says it will
    // (undici's default), so a question never goes out on a socket the server is closing;
    // without that hint after 10 s (undici's 4 s would mean a new TLS handshake for most
    // questions of a quiet mini-program)
    this.#pool = new Pool(url.origin, { keepAliveTimeout: 10_000 });
    this.#path = `${url.pathname}${url.search}`;
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
   * `signal` aborts the request (the server sees the connection close), as does a reader that
   * stops early (`return()`).
   */
  open(params: object, signal: AbortSignal): Promise<AsyncIterableIterator<unknown>> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new UpstreamFailure('aborted', 'aborted before the request'));
      const request = { path: this.#path, method: 'POST' as const, headers: this.#headers, body: JSON.stringify(params) };
      this.#pool.dispatch(request, new ChatRequestHandler(signal, resolve, reject));
    });
  }

  /** Closes the keep-alive connections (shutdown, tests). */
  close(): void {
    void this.#pool.destroy().catch(() => undefined);
  }
}

const headerLookup = (headers: Headers): HeaderLookup => ({
  get: (name) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  },
});

/**
 * One request's life, as undici reports it: before the answer's headers, a failure rejects
 * `open`; a 2xx answer becomes a ChunkStream fed by the body's reads; any other status is read
 * (up to 64 KiB) into a status failure.
 */
class ChatRequestHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #stream: ChunkStream | undefined;
  #error: { status: number; headers: Headers; text: string } | undefined;
  readonly #decoder = new StringDecoder('utf8');
  // our own listener rather than undici's `signal` option, which wraps every request in more machinery
  readonly #onAbort = () => this.#controller?.abort(new UpstreamFailure('aborted', 'request aborted'));

  constructor(
    private readonly signal: AbortSignal,
    private readonly resolve: (stream: ChunkStream) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.signal.aborted) this.#onAbort();
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: Headers): void {
    if (status >= 200 && status < 300) {
      this.#stream = new ChunkStream(controller, headers);
      this.resolve(this.#stream);
    } else this.#error = { status, headers, text: '' };
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const text = this.#decoder.write(chunk);
    if (this.#stream) return this.#stream.push(text);
    const error = this.#error!;
    if (error.text.length < MAX_ERROR_BODY_CHARS) error.text += text;
    else controller.abort(this.#statusFailure());
  }

  onResponseEnd(): void {
    this.#done();
    if (this.#stream) return this.#stream.end(this.#decoder.end());
    this.#error!.text += this.#decoder.end();
    this.reject(this.#statusFailure());
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#done();
    if (this.#stream) return this.#stream.fail(error);
    // an error body cut short still says what the status was
    if (this.#error) return this.reject(error instanceof UpstreamFailure ? error : this.#statusFailure());
    if (error instanceof UpstreamFailure) return this.reject(error);
    const code = (error as { code?: unknown }).code;
    const kind = code === 'UND_ERR_CONNECT_TIMEOUT' ? 'connect-timeout' : 'connect';
    // the cause's code (ECONNREFUSED…) is what an operator looks for; undici's own message can be vaguer
    const detail = typeof code === 'string' && !code.startsWith('UND_ERR') ? `${code}: ${causeText(error)}` : causeText(error);
    this.reject(new UpstreamFailure(kind, detail, undefined, undefined, { cause: error }));
  }

  #done(): void {
    this.signal.removeEventListener('abort', this.#onAbort);
  }

  #statusFailure(): UpstreamFailure {
    const { status, headers, text } = this.#error!;
    // fetch (the SDK) followed redirects; an API endpoint that redirects is a wrong LLM_BASE_URL
    // (http:// for https://, a missing /v1): say where it points instead of showing an HTML page
    const location = status >= 300 && status < 400 ? headerLookup(headers).get('location') : undefined;
    const detail = location ? `redirected to ${location}: check LLM_BASE_URL` : bodyDetail(status, text);
    return new UpstreamFailure('status', detail, status, retryAfterMs(headerLookup(headers)));
  }
}

/**
 * The parsed chunks of one 2xx SSE answer, as an async iterator fed by the body's reads:
 * chunks that arrived together are handed out without waiting, and the response is paused
 * while the reader is behind. Ends at the end of the body (`[DONE]` only stops the parsing); a
 * body cut short, a garbled event or an `{ "error": … }` event fails it.
 */
class ChunkStream implements AsyncIterableIterator<unknown> {
  readonly #queue: unknown[] = [];
  readonly #sse = new SseDecoder((data) => this.#event(data));
  #ended = false;
  #failed = false;
  #failure: unknown;
  #sawDone = false;
  #resolve: ((result: IteratorResult<unknown>) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;

  constructor(
    private readonly controller: Dispatcher.DispatchController,
    private readonly headers: Headers,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.#queue.length > 0) {
      const value = this.#queue.shift();
      if (this.controller.paused && this.#queue.length === 0) this.controller.resume();
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
    if (!this.#ended && !this.#failed) {
      this.#ended = true;
      this.controller.abort(new UpstreamFailure('aborted', 'reader stopped'));
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  push(text: string): void {
    if (text !== '') this.#sse.push(text);
  }

  end(rest: string): void {
    this.push(rest);
    if (this.#ended || this.#failed) return;
    this.#ended = true;
    const resolve = this.#resolve;
    this.#resolve = this.#reject = undefined;
    resolve?.({ value: undefined, done: true });
  }

  fail(error: unknown): void {
    if (this.#ended || this.#failed) return;
    this.#failed = true;
    this.#failure = error;
    const reject = this.#reject;
    this.#resolve = this.#reject = undefined;
    reject?.(error);
    if (!this.controller.aborted) this.controller.abort(error instanceof Error ? error : new Error(String(error)));
  }

  #event(data: string): void {
    if (this.#sawDone || this.#failed || this.#ended) return;
    if (data.startsWith('[DONE]')) {
      this.#sawDone = true;
      return;
    }
    let chunk: { error?: unknown } | null;
    try {
      chunk = JSON.parse(data) as { error?: unknown } | null;
    } catch (error) {
      return this.fail(error);
    }
    if (chunk?.error) {
      const retryAfter = retryAfterMs(headerLookup(this.headers));
      return this.fail(new UpstreamFailure('stream-error', errorObjectDetail(chunk.error), undefined, retryAfter));
    }
    const resolve = this.#resolve;
    if (resolve) {
      this.#resolve = this.#reject = undefined;
      resolve({ value: chunk, done: false });
      return;
    }
    this.#queue.push(chunk);
    if (!this.controller.paused && this.#queue.length >= HIGH_WATER) this.controller.pause();
  }
}
