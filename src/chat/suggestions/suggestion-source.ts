/**
 * The suggestion port: up to three short follow-up questions for an answer that just ended,
 * offered to the client after `chat_response` (`chat_suggestions`). Drivers: a small model call
 * (model-suggestion-source.ts) and the headings of the knowledge-base passages around the ones
 * the answer cited (kb-suggestion-source.ts). The composition root picks which, in order:
 * the first that yields something wins (follow-up-suggester.ts).
 */

/** A passage the answer was grounded on: where it sits, not its text. */
export interface CitedPassage {
  chunkId: string;
  docId: string;
  title: string;
  headingPath: string[];
}

export interface SuggestionRequest {
  /** the question just answered */
  question: string;
  /** the answer's whole text */
  answer: string;
  /** the knowledge-base passages it was grounded on, most relevant first */
  cited: CitedPassage[];
}

export interface SuggestionSource {
  /** for logs: "model", "knowledge-base" */
  readonly name: string;
  /**
   * true = the text is generated: it takes a model slot (never queued for) and goes through
   * content security like an answer. false = the operator's own text (document headings).
   */
  readonly generated: boolean;
  /**
   * Cleaned suggestions (clean-suggestions.ts), at most three, maybe none. Rejects when it
   * failed (the next source is tried); must stop promptly once `signal` aborts.
   */
  suggest(request: SuggestionRequest, signal: AbortSignal): Promise<string[]>;
}
