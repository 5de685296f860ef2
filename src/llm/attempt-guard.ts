import type { FailureContext } from './map-llm-failure.js';

/**
 * The deadlines of one HTTP attempt, as one AbortSignal for the HTTP client: the caller's
 * signal, the call's total deadline and (optionally) the first-token deadline. Remembers
 * which fired first, since an abort looks the same from inside any HTTP client.
 */
export class AttemptGuard {
  readonly #controller = new AbortController();
  #abortedBy: FailureContext['abortedBy'];
  readonly #total: NodeJS.Timeout;
  #firstToken: NodeJS.Timeout | undefined;
  readonly #onCallerAbort = () => this.#abort('caller');
  #disposed = false;

  constructor(
    private readonly caller: AbortSignal,
    deadline: number,
    firstTokenTimeoutMs: number | undefined,
  ) {
    caller.addEventListener('abort', this.#onCallerAbort, { once: true });
    this.#total = setTimeout(() => this.#abort('deadline'), Math.max(0, deadline - Date.now()));
    if (firstTokenTimeoutMs) this.#firstToken = setTimeout(() => this.#abort('first-token'), firstTokenTimeoutMs);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#controller.signal.aborted;
  }

  get abortedBy(): FailureContext['abortedBy'] {
    return this.#abortedBy;
  }

  /** The first text or tool-call fragment arrived: the first-token deadline is met. */
  firstToken(): void {
    if (this.#firstToken === undefined) return;
    clearTimeout(this.#firstToken);
    this.#firstToken = undefined;
  }

  /**
   * Ends the attempt. Unless the answer was read to its end, the request is aborted: a caller
   * that stopped reading early must not leave the socket streaming. (After a complete answer
   * there is nothing to abort, and an abort would build a DOMException and run every listener.)
   */
  dispose(answerRead: boolean): void {
    if (this.#disposed) return;
    this.#disposed = true;
    clearTimeout(this.#total);
    this.firstToken();
    this.caller.removeEventListener('abort', this.#onCallerAbort);
    if (!answerRead) this.#controller.abort();
  }

  #abort(why: NonNullable<FailureContext['abortedBy']>): void {
    this.#abortedBy ??= why;
    this.#controller.abort();
  }
}
