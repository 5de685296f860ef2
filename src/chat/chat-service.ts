import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { ChatModel } from '../llm/chat-model.js';
import { LlmError } from '../llm/llm-error.js';
import { noMetrics, type ChatOutcome, type GatewayMetrics } from '../observability/gateway-metrics.js';
import { AppError } from '../protocol/error-catalogue.js';
import { toAppError } from '../protocol/to-app-error.js';
import type { HistoryStore, MessageStatus, StoredAttachment, StoredMessage } from '../store/history-store.js';
import { storeCall } from '../store/store-call.js';
import { AnswerRun, type AnswerResult } from './answer-run.js';
import type { AnswerRegistry, LostAnswer } from './answer-registry/answer-registry.js';
import { MemoryAnswerRegistry } from './answer-registry/memory-answer-registry.js';
import type { RequestId } from '../protocol/client-messages.js';
import type { ConcurrencyGate } from './concurrency-gate.js';
import type { Answer, AnswerStrategy } from './strategies/answer-strategy.js';
import { chooseStrategy } from './strategies/choose-strategy.js';
import { toSources, type RagOptions, type Retriever } from './strategies/retriever.js';
import { runQuestion } from './run-question.js';
import type { PromptTurn } from './build-prompt.js';
import { checkWithPolicy, RETRACT_NOTICE, type ModerationOutcome, type ModerationPolicy } from './moderation-policy.js';
import { StreamingModerator, type WindowOptions } from './streaming-moderator.js';

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
   * answer or a store that failed to take the question (503). Later failures, a refused
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
    const run = new AnswerRun(randomUUID(), asker.openid, asker.ownerKey, requestId);
    const claim = await storeCall(this.registry.claim(run, requestId === undefined ? undefined : { requestId, query }));
    if (claim.kind === 'busy') throw new AppError('chat_in_progress');
    if (claim.kind === 'joined') return { run: claim.run, joined: true };
    const ticket = this.deps.gate.enter(this.deps.options.queueTimeoutMs, run.signal);
    if (!ticket) {
      // a retry after the line clears must start afresh, not find this refusal
      await this.registry.withdraw(run).catch(() => undefined);
      throw new AppError('server_busy');
    }
    const log = this.deps.logger.child({ answerId: run.id });
    const asked = this.ask(run, query, log, input.attachments);
    void this.execute(run, query, input.useAutoRag, ticket.acquired, performance.now(), asked, log);
    try {
      await asked;
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

  listHistory(openid: string, limit: number): Promise<StoredMessage[]> {
    return storeCall(this.deps.history.listRecent(openid, limit));
  }

  /**
   * A finished answer by id (for clients resuming late): the registry's copy while it keeps
   * one (it has the error's reason), else the stored message of the current conversation.
   */
  async findResult(asker: Asker, id: string): Promise<AnswerResult | undefined> {
    const kept = await storeCall(this.registry.ended(asker.ownerKey, id));
    if (kept) return kept;
    const stored = await this.findAnswer(asker.openid, id);
    return stored && { id, text: stored.content, status: stored.status, usage: stored.usage, sources: stored.sources };
  }

  /** A stored answer of the current conversation, by id (for clients resuming late). */
  async findAnswer(openid: string, id: string): Promise<StoredMessage | undefined> {
    const recent = await storeCall(this.deps.history.listRecent(openid, Math.max(50, this.deps.options.historyTurns * 2)));
    return recent.find((message) => message.id === id && message.role === 'assistant');
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
    if (lost.text === '' || lost.openid === '') return;
    await this.deps.history.append(lost.openid, { id: lost.id, role: 'assistant', content: lost.text, status: 'failed', createdAt: Date.now() });
  }

  private async execute(
    run: AnswerRun,
    query: string,
    useAutoRag: boolean,
    acquired: Promise<() => void>,
    startedAt: number,
    asked: Promise<ModerationOutcome>,
    log: Logger,
  ): Promise<void> {
    const { history, options } = this.deps;
    const { metrics } = this;
    let release: (() => void) | undefined;
    let outcome: Answer = { passages: [] };
    const moderator = this.answerModerator(run, log);
    try {
      const checked = await asked;
      if (!checked.ok) throw new AppError(checked.unavailable ? 'content_check_unavailable' : 'content_blocked');
      release = await acquired;
      // offline answers never read the conversation: no history read per chat without a model
      const stored = this.deps.model ? await storeCall(history.listRecent(run.openid, options.historyTurns * 2 + 1)) : [];
      const turns = this.deps.promptTurns ? await this.deps.promptTurns(run.openid, stored) : stored;
      let first = true;
      const onText = (text: string) => {
        if (first) metrics.firstToken((performance.now() - startedAt) / 1000);
        first = false;
        moderator?.push(text);
      };
      outcome = await this.strategy.answer(runQuestion(run, { query, turns, useAutoRag }, log, options.streamCoalesceMs, onText));
      await this.finish(run, 'complete', outcome, log, moderator);
    } catch (error) {
      if (run.cancelled) return void (await this.finish(run, 'cancelled', outcome, log, moderator));
      const appError = toAppError(error);
      log.warn({ reason: appError.reason, error: String(error) }, 'answer failed');
      if (LlmError.is(error)) metrics.modelError(error.kind);
      await this.finish(run, 'failed', outcome, log, moderator, appError);
    } finally {
      moderator?.dispose();
      // A slot granted after this run gave up (e.g. the store failed while it waited in
      // line) goes straight back, or it would be lost for good.
      if (release) release();
      else void acquired.then((lateRelease) => lateRelease(), () => undefined);
      // last: the slot is back whatever the metrics do
      this.report(run, outcome, startedAt);
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
   * before anything can fail on the model side, so it is never lost. Resolves with the verdict
   * once the question is stored; a refused question never goes to the model, and its answer
   * ends with 403 (or 503 when the check failed, fail-closed). The check runs while the run
   * waits for a model slot.
   */
  private async ask(run: AnswerRun, query: string, log: Logger, attachments?: StoredAttachment[]): Promise<ModerationOutcome> {
    const { moderation, history } = this.deps;
    // no abort signal: a question cancelled mid-check must still be stored with its verdict
    const checked: ModerationOutcome = moderation ? await checkWithPolicy(moderation, { text: query, openid: run.openid, scene: 'question' }, log) : { ok: true };
    const asked: StoredMessage = { id: randomUUID(), role: 'user', content: query, status: checked.ok ? 'complete' : 'blocked', createdAt: Date.now() };
    if (!checked.ok) asked.flagged = { label: checked.label };
    if (attachments?.length) asked.attachments = attachments;
    await storeCall(history.append(run.openid, asked));
    return checked;
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
    const result: AnswerResult = { id: run.id, text, status, usage, error: run.retracted ? undefined : error, sources };
    if (status !== 'failed' || text !== '') {
      try {
        await this.deps.history.append(run.openid, {
          id: run.id,
          role: 'assistant',
          content: text,
          status,
          createdAt: Date.now(),
          usage,
          ...(this.deps.model && { model: this.deps.model.name }),
          ...(sources.length > 0 && { sources }),
          ...(run.retracted && { flagged: run.retracted }),
        });
      } catch (storeError) {
        // the client still gets the answer; the operator learns the store is failing
        log.error({ error: String(storeError) }, 'could not store answer');
      }
    }
    if (usage) log.info({ usage, status }, 'answer finished');
    run.finish(result);
  }
}
