import type { RequestId } from '../../protocol/client-messages.js';
import type { AnswerResult, AnswerRun } from '../answer-run.js';

/**
 * Where answers in flight are known: the one-chat-per-session rule, `pending_answer`,
 * `resume`, `cancel`, the detach grace period and idempotent retries all ask it.
 *
 * Two drivers: memory (one process, the default) and Redis (every instance of a deployment
 * shares it: deltas go to a Redis Stream per answer, a leased lock per session). The chat
 * service starts runs and generates; the registry only records, shares and finds them.
 */
export interface AnswerRegistry {
  /**
   * Makes `run` the session's one answer in flight. With `request`, a retry of a request seen
   * within the retention window joins the answer it started instead (in flight, or its stored
   * result) — never a second model call. `busy` = another answer holds the session (409).
   * Throws when the backend cannot answer (the caller maps it to 503).
   */
  claim(run: AnswerRun, request?: RequestKey): Promise<Claim>;

  /** Undoes a claim whose run never started (e.g. the model queue was full): nothing is kept. */
  withdraw(run: AnswerRun): Promise<void>;

  /** The answer this instance is generating for a session (no I/O). */
  local(ownerKey: string): AnswerRun | undefined;

  /** Every answer this instance is generating. */
  localRuns(): AnswerRun[];

  /**
   * The answer in flight for a session, wherever it is generated. One generated elsewhere is
   * mirrored here: its deltas so far, then the live ones, then its result.
   */
  find(ownerKey: string): Promise<AnswerRun | undefined>;

  /** A finished answer's result while the registry keeps it (undefined: ask the history). */
  ended(ownerKey: string, answerId: string): Promise<AnswerResult | undefined>;

  /**
   * Called once (on one instance) for an answer whose generating instance died: the caller
   * stores the partial text as failed — the history is the durable copy.
   */
  onLost(handler: (lost: LostAnswer) => Promise<void>): void;

  close(): Promise<void>;
}

/** What makes a request the same request: the client's `request_id` and the question. */
export interface RequestKey {
  requestId: RequestId;
  query: string;
}

export type Claim = { kind: 'claimed' } | { kind: 'busy' } | { kind: 'joined'; run: AnswerRun };

export interface LostAnswer {
  id: string;
  openid: string;
  /** what was generated before the instance died */
  text: string;
}

/** How long a request_id is remembered, and a finished answer kept for retries and resumes. */
export const DEFAULT_RETENTION_SECONDS = 600;
