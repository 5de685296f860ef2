import type { TokenUsage } from '../llm/chat-model.js';
import type { AppError } from '../protocol/error-catalogue.js';
import type { Source } from './strategies/retriever.js';
import type { MessageStatus } from '../store/history-store.js';
import type { RequestId } from '../protocol/client-messages.js';
import { FollowUps } from './suggestions/follow-ups.js';

export interface AnswerDelta {
  id: string;
  /** 0, 1, 2… per answer: a client detects gaps and duplicates with it */
  index: number;
  delta: string;
}

export interface AnswerResult {
  id: string;
  /** the whole answer (partial when cancelled or failed) */
  text: string;
  status: MessageStatus;
  /** set when status is 'failed' (or the run never started) */
  error?: AppError;
  usage?: TokenUsage;
  /** knowledge-base passages the answer was grounded on */
  sources?: Source[];
  /** the conversation the answer is stored in (absent for results kept by an older instance) */
  conversationId?: string;
}

/** What the server is doing before/between text, e.g. searching the knowledge base. */
export interface AnswerProgress {
  id: string;
  stage: 'searching';
  query: string;
}

/** Content security withdrew the answer: clients replace what they showed with `message`. */
export interface AnswerRetraction {
  id: string;
  message: string;
}

export interface AnswerListener {
  delta?(delta: AnswerDelta): void;
  progress?(progress: AnswerProgress): void;
  retract?(retraction: AnswerRetraction): void;
  done?(result: AnswerResult): void;
}

/**
 * One answer being generated. It belongs to a session, not to a socket: when the socket
 * drops, the run keeps going for a grace period so a reconnecting client can re-attach
 * (the answer is stored either way). Every coalesced delta is kept, so a client can ask for
 * the ones it missed.
 */
export class AnswerRun {
  readonly controller = new AbortController();
  readonly deltas: string[] = [];
  text = '';
  /** set once content security withdrew the answer (its checker's label); no delta goes out after */
  retracted: { label: string } | undefined;
  result: AnswerResult | undefined;
  readonly done: Promise<AnswerResult>;
  private resolveDone!: (result: AnswerResult) => void;
  protected readonly listeners = new Set<AnswerListener>();
  /** side listeners (the shared answer registry): never count as someone following */
  private readonly taps: AnswerListener[] = [];
  private detachTimer: NodeJS.Timeout | undefined;
  /** suggested follow-up questions, offered after the answer ended (chat/suggestions/) */
  readonly followUps: FollowUps;
  /**
   * Asked when the grace period ends with nobody attached here: true = a client follows the
   * answer on another instance, so it goes on (asked again after another grace period).
   */
  followedElsewhere: (() => Promise<boolean>) | undefined;

  constructor(
    readonly id: string,
    readonly openid: string,
    /** the key under which at most one run may be in flight (the session) */
    readonly ownerKey: string,
    /** the request_id of the `chat` that started it, for a final frame sent to another socket */
    readonly requestId?: RequestId,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.followUps = new FollowUps(id);
  }

  /** A run that already ended (a retried request whose answer is stored). */
  static ended(result: AnswerResult, openid: string, ownerKey: string): AnswerRun {
    const run = new AnswerRun(result.id, openid, ownerKey);
    run.text = result.text;
    run.finish(result);
    return run;
  }

  /**
   * Adds a side listener that sees everything after the client listeners (and `done` before
   * them, so shared state is released before a client can ask again). It must not block.
   */
  tap(listener: AnswerListener): void {
    this.taps.push(listener);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** aborted by the user, a departed client, shutdown — or a retraction (check `retracted` first) */
  get cancelled(): boolean {
    return this.controller.signal.aborted;
  }

  /** Starts receiving deltas and the result; returns the unsubscribe function. */
  attach(listener: AnswerListener): () => void {
    clearTimeout(this.detachTimer);
    this.detachTimer = undefined;
    // a run that ended between lookup and attach still owes this listener its result
    if (this.result) {
      listener.done?.(this.result);
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.detach(listener, 0);
  }

  /**
   * Stops delivering to `listener`. With nobody left, the answer is cancelled after
   * `graceMs` unless someone attaches again.
   */
  detach(listener: AnswerListener, graceMs: number): void {
    this.listeners.delete(listener);
    if (this.listeners.size > 0 || this.result) return;
    if (graceMs <= 0) return this.cancel();
    clearTimeout(this.detachTimer);
    this.detachTimer = setTimeout(() => void this.graceEnded(graceMs), graceMs);
    this.detachTimer.unref();
  }

  private async graceEnded(graceMs: number): Promise<void> {
    this.detachTimer = undefined;
    const elsewhere = this.followedElsewhere ? await this.followedElsewhere().catch(() => false) : false;
    if (this.listeners.size > 0 || this.result || this.detachTimer) return;
    if (!elsewhere) return this.cancel();
    this.detachTimer = setTimeout(() => void this.graceEnded(graceMs), graceMs);
    this.detachTimer.unref();
  }

  /** Aborts generation; the upstream request is aborted through `signal`. */
  cancel(): void {
    if (!this.result) this.controller.abort(new Error('answer cancelled'));
  }

  /** Deltas from `fromIndex` on, for a client that missed some. */
  deltasFrom(fromIndex: number): AnswerDelta[] {
    return this.deltas.slice(Math.max(0, fromIndex)).map((delta, i) => ({
      id: this.id,
      index: Math.max(0, fromIndex) + i,
      delta,
    }));
  }

  /**
   * Withdraws the answer: generation stops, the replay buffer is emptied (a resuming client
   * must never get the risky text back) and streaming listeners are told to show `notice`.
   */
  retract(label: string, notice: string): void {
    if (this.result || this.retracted) return;
    this.retracted = { label };
    this.deltas.length = 0;
    const retraction = { id: this.id, message: notice };
    for (const listener of this.listeners) listener.retract?.(retraction);
    for (const tap of this.taps) tap.retract?.(retraction);
    this.controller.abort(new Error('answer retracted'));
  }

  emitDelta(text: string): void {
    if (this.retracted) return;
    const delta = { id: this.id, index: this.deltas.length, delta: text };
    this.deltas.push(text);
    for (const listener of this.listeners) listener.delta?.(delta);
    for (const tap of this.taps) tap.delta?.(delta);
  }

  emitProgress(stage: AnswerProgress['stage'], query: string): void {
    const progress = { id: this.id, stage, query };
    for (const listener of this.listeners) listener.progress?.(progress);
    for (const tap of this.taps) tap.progress?.(progress);
  }

  finish(result: AnswerResult): void {
    if (this.result) return;
    clearTimeout(this.detachTimer);
    this.result = result;
    for (const tap of this.taps) tap.done?.(result);
    for (const listener of this.listeners) listener.done?.(result);
    this.listeners.clear();
    this.resolveDone(result);
  }
}
