/** The follow-up questions of one answer, as transports receive them. */
export interface AnswerSuggestions {
  /** the answer's id */
  id: string;
  suggestions: string[];
}

/**
 * Where an ended answer's follow-up questions meet whoever wants them (every AnswerRun has
 * one). Transports wait once they sent `chat_response`; the suggester generates only while
 * somebody waits, and offers its result once. When the last waiter gives up (a new question,
 * a closed socket) generation is aborted through `signal`: nobody pays for suggestions nobody
 * will see. An answer that gets none (suggestions off, a mirrored answer of another instance)
 * never settles: its waiters are simply dropped with it.
 */
export class FollowUps {
  private readonly waiters = new Set<(suggestions: AnswerSuggestions) => void>();
  private controller: AbortController | undefined;
  private settled = false;

  constructor(private readonly answerId: string) {}

  /**
   * Calls `listener` once with the suggestions, if any come (never with an empty list).
   * Returns the function that stops waiting.
   */
  wait(listener: (suggestions: AnswerSuggestions) => void): () => void {
    if (this.settled) return () => undefined;
    this.waiters.add(listener);
    return () => {
      if (!this.waiters.delete(listener) || this.waiters.size > 0 || this.settled) return;
      this.controller?.abort(new Error('nobody waits for the suggestions'));
    };
  }

  /** true while somebody waits and nothing was offered yet */
  get wanted(): boolean {
    return !this.settled && this.waiters.size > 0;
  }

  /** aborted once nobody waits any more */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  /** Hands the suggestions to everyone waiting (none when the list is empty); once. */
  offer(suggestions: string[]): void {
    if (this.settled) return;
    this.settled = true;
    const waiters = [...this.waiters];
    this.waiters.clear();
    if (suggestions.length === 0) return;
    for (const waiter of waiters) waiter({ id: this.answerId, suggestions: [...suggestions] });
  }
}
