import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { ChatModel } from '../llm/chat-model.js';
import { LlmError } from '../llm/llm-error.js';
import { noMetrics, type ChatOutcome, type GatewayMetrics } from '../observability/gateway-metrics.js';
import { bindLogger } from '../observability/bind-logger.js';
import { AppError } from '../protocol/error-catalogue.js';
import { toAppError } from '../protocol/to-app-error.js';
import type { HistoryStore, MessageStatus, StoredAttachment, StoredMessage } from '../store/history-store.js';
import { storeCall } from '../store/store-call.js';
import { newAnswerId } from './answer-id.js';
import { AnswerRun, type AnswerResult } from './answer-run.js';
import type { AnswerRegistry, LostAnswer } from './answer-registry/answer-registry.js';
import { MemoryAnswerRegistry } from './answer-registry/memory-answer-registry.js';
import type { RequestId } from '../protocol/client-messages.js';
import type { ConcurrencyGate } from './concurrency-gate.js';
import type { Answer, AnswerStrategy } from './strategies/answer-strategy.js';
import { chooseStrategy } from './strategies/choose-strategy.js';
import { toSources, type RagOptions, type Retriever } from './strategies/retriever.js';
import { questionIdOf } from './question-id.js';
import { runQuestion } from './run-question.js';
import type { PromptTurn } from './build-prompt.js';
import { conversationFor, storeAnswer, storeLostAnswer, storeQuestion } from './store-turns.js';
import { checkWithPolicy, RETRACT_NOTICE, type ModerationOutcome, type ModerationPolicy } from './moderation-policy.js';
import { StreamingModerator, type WindowOptions } from './streaming-moderator.js';
import type { FinishedAnswer } from './suggestions/follow-up-suggester.js';

const NO_TURNS: Promise<StoredMessage[]> = Promise.resolve([]);

/** A question on its way into the store (`ChatService.ask`). */
interface Asked {
  /** the content check's verdict, and the question as it will be stored */
  checked: Promise<{ verdict: ModerationOutcome; question: StoredMessage }>;
  /** settles once the question is committed, with the conversation it went to (rejects: it was not, and nothing is asked) */
  stored: Promise<{ verdict: ModerationOutcome; conversationId: string }>;
}

export interface ChatServiceOptions {
  systemPrompt: string;
  historyTurns: number;
  maxQueryChars: number;
  streamCoalesceMs: number;
  queueTimeoutMs: number;
  rag: RagOptions;
}

export interface ChatServiceDeps {
  history: HistoryStore;
  /** absent = no model configured (offline mode: answers come from the knowledge base alone) */
  model?: ChatModel | undefined;
  /** the knowledge base; absent or empty = answers without retrieval */
  retriever?: Retriever | undefined;
  gate: ConcurrencyGate;
  logger: Logger;
  options: ChatServiceOptions;
  /** content security; absent = nothing is checked */
  moderation?: (ModerationPolicy & { window?: WindowOptions }) | undefined;
  /** outcomes, latencies, tokens and model errors; default: not reported */
  metrics?: GatewayMetrics;
  /** where answers in flight are known: shared over Redis, or this process only (default) */
  registry?: AnswerRegistry;
  /** puts the images of earlier questions back into the prompt (chat-media.ts); absent = text only */
  promptTurns?: (openid: string, turns: StoredMessage[]) => Promise<PromptTurn[]>;
  /**
   * Called once an answer ended, after its final frame went out and its model slot was
   * returned (follow-up suggestions hook here). Must return at once and never throw.
   */
  afterAnswer?: ((finished: FinishedAnswer) => void) | undefined;
}

/** Who asks: the openid owns the conversation, `ownerKey` (the session) owns the in-flight answer. */
export interface Asker {
  openid: string;
  ownerKey: string;
}

export interface ChatInput {
  query: string;
  useAutoRag: boolean;
  /** stored with the question: its images, or the recording it was transcribed from (checked by the caller) */
  attachments?: StoredAttachment[];
  /** continue this conversation of the asker's (it becomes the current one); absent = the current one */
  conversationId?: string | undefined;
}

export interface StartedAnswer {
  run: AnswerRun;
  /** true = a retry of a request already answered or answering: no new model call, no new tokens */
  joined: boolean;
}

/**
 * The chat orchestrator: store the question → wait for a model slot → load history → answer
 * (the strategy: strategies/choose-strategy.ts) → store the answer. Transports start a run
 * and listen to it; nothing here knows about sockets or HTTP.
 *
 * The conversation is fixed when the run starts and travels with it: the prompt's turns are
 * read from it and the question and answer are stored in it, even when the user starts a new
 * conversation (`clear`, another device) while the answer is being generated.
 */
export class ChatService {
  private readonly registry: AnswerRegistry;
  private readonly strategy: AnswerStrategy;
  private readonly metrics: GatewayMetrics;

  constructor(private readonly deps: ChatServiceDeps) {
    const { systemPrompt, rag } = deps.options;
    this.strategy = chooseStrategy(deps.model, deps.retriever, { systemPrompt, rag });
    this.metrics = deps.metrics ?? noMetrics;
    this.registry = deps.registry ?? new MemoryAnswerRegistry();
    this.registry.onLost((lost) => this.storeLost(lost));
  }

  /**
   * Starts an answer; resolves once the question is stored (checked first when content
   * security is on), so whoever acknowledges the question on it acknowledges a stored one.
   * Rejects (nothing stored) for an empty or too long question, a second question while one is
   * in flight for the same session (409), a full waiting line (503), a registry that does not
   * answer or a store that failed to take the question (503), a `conversationId` that is not
   * one of the asker's conversations (404 conversation_not_found). Later failures, a refused
   * question too, arrive as the run's result. With `requestId`, a retry of the same request
   * joins its answer.
   */
  async start(asker: Asker, input: ChatInput, requestId?: RequestId): Promise<StartedAnswer> {
    const query = input.query.trim();
    if (query === '') throw new AppError('empty_query');
    if (query.length > this.deps.options.maxQueryChars) {
      throw new AppError('query_too_long', `问题太长（${query.length} 字），最多 ${this.deps.options.maxQueryChars} 字`);
    }
    // without a request_id nothing can be a retry: refuse a second answer here without I/O
    if (requestId === undefined && this.registry.local(asker.ownerKey)) throw new AppError('chat_in_progress');
    const run = new AnswerRun(newAnswerId(), asker.openid, asker.ownerKey, requestId);
    const claim = await storeCall(this.registry.claim(run, requestId === undefined ? undefined : { requestId, query }));
    if (claim.kind === 'busy') throw new AppError('chat_in_progress');
    if (claim.kind === 'joined') return { run: claim.run, joined: true };
    // A conversation asked for is opened (made current) first. Otherwise the chat's first store
    // call decides it — the history read with a model, the question's own append without one —
    // and the run keeps it from then on.
    let requested: string | undefined;
    if (input.conversationId !== undefined) {
      try {
        requested = await conversationFor(this.deps.history, asker.openid, input.conversationId);
      } catch (error) {
        await this.registry.withdraw(run).catch(() => undefined);
        throw error;
      }
    }
    const ticket = this.deps.gate.enter(this.deps.options.queueTimeoutMs, run.signal);
    if (!ticket) {
      // a retry after the line clears must start afresh, not find this refusal
      await this.registry.withdraw(run).catch(() => undefined);
      throw new AppError('server_busy');
    }
    const log = bindLogger(this.deps.logger, { answerId: run.id });
    // The conversation so far, read before the question is queued: the prompt is that plus the
    // question, so the model request need not wait for the question's commit (see `execute`).
    const turns = this.deps.options.historyTurns * 2;
    const { history } = this.deps;
    const opened = this.deps.model && requested === undefined ? storeCall(history.openCurrent(asker.openid, turns)) : undefined;
    const earlier = !this.deps.model ? NO_TURNS : opened ? opened.then((o) => o.recent) : storeCall(history.listRecent(asker.openid, turns, requested));
    earlier.catch(() => undefined); // execute reports it, if it gets that far
    const openedId = opened?.then((o) => o.conversationId);
    openedId?.catch(() => undefined); // the question's store call reports it
    // the question is queued once that read is answered (Redis: it must not see the question)
    const asked = this.ask(run, query, requested ?? openedId, log, input.attachments, earlier);
    void this.execute(run, { query, useAutoRag: input.useAutoRag }, ticket.acquired, performance.now(), asked, earlier, log);
    try {
      await asked.stored;
    } catch (error) {
      // the question was not stored, so nothing was asked: a retry must start afresh too
      await this.registry.withdraw(run).catch(() => undefined);
      throw error;
    }
    return { run, joined: false };
  }

  /** The answer this instance generates for a session, if any (no I/O). */
  activeRun(ownerKey: string): AnswerRun | undefined {
    return this.registry.local(ownerKey);
  }

  /** The answer in flight for a session on any instance (mirrored here when it runs elsewhere). */
  findRun(ownerKey: string): Promise<AnswerRun | undefined> {
    return storeCall(this.registry.find(ownerKey));
  }

  get activeCount(): number {
    return this.registry.localRuns().length;
  }

  /**
   * A finished answer by id (for clients resuming late): the registry's copy while it keeps
   * one (it has the error's reason), else the stored message, from any of the user's conversations.
   */
  async findResult(asker: Asker, id: string): Promise<AnswerResult | undefined> {
    const kept = await storeCall(this.registry.ended(asker.ownerKey, id));
    const found = await this.locateAnswer(asker.openid, id);
    if (kept) {
      // kept for minutes, but a deleted conversation takes its answers with it at once; an empty
      // failed answer was never stored (nor one an older instance kept): the copy is all there is
      const neverStored = kept.conversationId === undefined || (kept.status === 'failed' && kept.text === '');
      return found || neverStored ? kept : undefined;
    }
    if (!found) return undefined;
    const { message } = found;
    return { id, text: message.content, status: message.status, usage: message.usage, sources: message.sources, conversationId: found.conversationId };
  }

  /** A stored answer of any of the user's conversations, by id (for clients resuming late, speech). */
  async findAnswer(openid: string, id: string): Promise<StoredMessage | undefined> {
    return (await this.locateAnswer(openid, id))?.message;
  }

  /** `findAnswer`, with the conversation the answer is in. */
  async locateAnswer(openid: string, id: string): Promise<{ message: StoredMessage; conversationId: string } | undefined> {
    const found = await storeCall(this.deps.history.findMessage(openid, id));
    return found?.message.role === 'assistant' ? found : undefined;
  }

  /** The conversation an answer in flight belongs to (its question's), once its question is stored. */
  async conversationOf(run: AnswerRun): Promise<string | undefined> {
    return (await storeCall(this.deps.history.findMessage(run.openid, questionIdOf(run.id))))?.conversationId;
  }

  /** Starts a new conversation; an answer in flight for the session is cancelled first. */
  async clear(asker: Asker): Promise<void> {
    const run = await this.findRun(asker.ownerKey);
    if (run) {
      run.cancel();
      await run.done;
    }
    await storeCall(this.deps.history.clear(asker.openid));
  }

  /** Waits up to `deadlineMs` for answers in flight, then cancels the rest (shutdown). */
  async drain(deadlineMs: number): Promise<void> {
    const all = () => Promise.all(this.registry.localRuns().map((run) => run.done));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([all(), deadline]);
    clearTimeout(timer);
    for (const run of this.registry.localRuns()) run.cancel();
    await all();
  }

  /** An answer whose instance died mid-way: its partial text is kept, as a failed answer. */
  private async storeLost(lost: LostAnswer): Promise<void> {
    this.deps.logger.warn({ answerId: lost.id }, 'answer lost with its instance: stored as failed');
    await storeLostAnswer(this.deps.history, lost);
  }

  private async execute(
    run: AnswerRun,
    { query, useAutoRag }: { query: string; useAutoRag: boolean },
    acquired: Promise<() => void>,
    startedAt: number,
    asked: Asked,
    earlier: Promise<StoredMessage[]>,
    log: Logger,
  ): Promise<void> {
    const { options } = this.deps;
    const { metrics } = this;
    let release: (() => void) | undefined;
    let outcome: Answer = { passages: [] };
    const moderator = this.answerModerator(run, log);
    try {
      const { verdict, question } = await asked.checked;
      if (!verdict.ok) {
        await asked.stored; // a refused question is stored (with its verdict) before its answer ends
        throw new AppError(verdict.unavailable ? 'content_check_unavailable' : 'content_blocked');
      }
      release = await acquired;
      // Offline answers never read the conversation: no history read per chat without a model.
      // With one, the request goes out before the question's commit (group commit: on the next
      // turn), and the answer's first text waits for it (`ready`): no text, and no stored
      // answer, for a question that was not stored.
      if (!this.deps.model) await asked.stored;
      const stored = this.deps.model ? [...(await earlier), question] : [];
      const turns = this.deps.promptTurns ? await this.deps.promptTurns(run.openid, stored) : stored;
      let first = true;
      const onText = (text: string) => {
        if (first) metrics.firstToken((performance.now() - startedAt) / 1000);
        first = false;
        moderator?.push(text);
      };
      outcome = await this.strategy.answer(runQuestion(run, { query, turns, useAutoRag }, asked.stored, log, options.streamCoalesceMs, onText));
      await asked.stored; // an answer with no text never waited for it
      await this.finish(run, asked, 'complete', outcome, log, moderator);
    } catch (error) {
      if (run.cancelled) return void (await this.finish(run, asked, 'cancelled', outcome, log, moderator));
      const appError = toAppError(error);
      log.warn({ reason: appError.reason, error: String(error) }, 'answer failed');
      if (LlmError.is(error)) metrics.modelError(error.kind);
      await this.finish(run, asked, 'failed', outcome, log, moderator, appError);
    } finally {
      moderator?.dispose();
      // A slot granted after this run gave up (e.g. the store failed while it waited in
      // line) goes straight back, or it would be lost for good.
      if (release) release();
      else void acquired.then((lateRelease) => lateRelease(), () => undefined);
      // last: the slot is back whatever the metrics do
      this.report(run, outcome, startedAt);
      this.deps.afterAnswer?.({ run, query, passages: outcome.passages });
    }
  }

  /** The answer's outcome, duration and tokens, to the metrics. */
  private report(run: AnswerRun, outcome: Answer, startedAt: number): void {
    const result = run.result;
    if (!result) return;
    // a refused question ends the run as `failed` with content_blocked; a check that could not
    // decide (fail-closed) stays `failed`: nobody called the text risky
    const ended: ChatOutcome = result.error?.reason === 'content_blocked' ? 'blocked' : result.status;
    this.metrics.chatFinished(ended, (performance.now() - startedAt) / 1000);
    if (outcome.usage) this.metrics.tokens(outcome.usage);
  }

  /**
   * Checks the question (when content security is on), then stores it with its verdict —
   * before anything can fail on the model side, so it is never lost. `checked` settles with the
   * verdict and the question as it is stored; `stored` once it is committed. A refused question
   * never goes to the model, and its answer ends with 403 (or 503 when the check failed,
   * fail-closed). The check runs while the run waits for a model slot.
   */
  private ask(
    run: AnswerRun,
    query: string,
    /** where the question goes: absent = the current conversation, decided by its append */
    conversation: string | Promise<string> | undefined,
    log: Logger,
    attachments: StoredAttachment[] | undefined,
    after: Promise<unknown>,
  ): Asked {
    const { moderation, history } = this.deps;
    // no abort signal: a question cancelled mid-check must still be stored with its verdict
    const verdict: Promise<ModerationOutcome> = moderation ? checkWithPolicy(moderation, { text: query, openid: run.openid, scene: 'question' }, log) : Promise.resolve({ ok: true });
    const checked = verdict.then((outcome) => {
      const question: StoredMessage = { id: questionIdOf(run.id), role: 'user', content: query, status: outcome.ok ? 'complete' : 'blocked', createdAt: Date.now() };
      if (!outcome.ok) question.flagged = { label: outcome.label };
      if (attachments?.length) question.attachments = attachments;
      return { verdict: outcome, question };
    });
    const stored = checked.then(async ({ verdict: outcome, question }) => {
      await after.catch(() => undefined);
      return { verdict: outcome, conversationId: await storeQuestion(history, run.openid, question, await conversation) };
    });
    stored.catch(() => undefined); // start() reports it
    return { checked, stored };
  }

  /** The answer's content check, when the mode asks for it: a risky window withdraws the answer. */
  private answerModerator(run: AnswerRun, log: Logger): StreamingModerator | undefined {
    const { moderation } = this.deps;
    if (moderation?.mode !== 'both') return undefined;
    return new StreamingModerator(moderation, run.openid, log, (label) => run.retract(label, RETRACT_NOTICE), moderation.window);
  }

  /**
   * Stores the answer (partial when cancelled or failed) and tells the listeners. With content
   * security on, the last window is checked first: nobody — not even a client that never
   * streamed, nor the store — gets text that was not checked. A withdrawn answer is stored and
   * sent as the notice.
   */
  private async finish(
    run: AnswerRun,
    asked: Asked,
    ended: MessageStatus,
    outcome: Answer,
    log: Logger,
    moderator: StreamingModerator | undefined,
    error?: AppError,
  ): Promise<void> {
    if (moderator && !run.retracted) await moderator.finish();
    if (moderator) log.debug({ checks: moderator.checks }, 'answer checked');
    const status: MessageStatus = run.retracted ? 'retracted' : ended;
    const text = run.retracted ? RETRACT_NOTICE : run.text;
    const usage = outcome.usage;
    const sources = run.retracted ? [] : toSources(outcome.passages);
    // the question's conversation; none when the question was never stored: nothing goes beside it
    const conversationId = await asked.stored.then((stored) => stored.conversationId, () => undefined);
    const result: AnswerResult = { id: run.id, text, status, usage, error: run.retracted ? undefined : error, sources, ...(conversationId !== undefined && { conversationId }) };
    if (conversationId !== undefined && (status !== 'failed' || text !== '')) {
      const answer: StoredMessage = {
        id: run.id,
        role: 'assistant',
        content: text,
        status,
        createdAt: Date.now(),
        usage,
        ...(this.deps.model && { model: this.deps.model.name }),
        ...(sources.length > 0 && { sources }),
        ...(run.retracted && { flagged: run.retracted }),
      };
      await storeAnswer(this.deps.history, run.openid, answer, conversationId, log);
    }
    if (usage) log.info({ usage, status }, 'answer finished');
    run.finish(result);
  }
}
