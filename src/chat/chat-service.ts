import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ChatMessage, ChatModel, StreamPart, TokenUsage, ToolCall, ToolDefinition } from '../llm/chat-model.js';
import { LlmError } from '../llm/llm-error.js';
import { AppError } from '../protocol/error-catalogue.js';
import type { HistoryStore, MessageStatus, StoredMessage } from '../store/history-store.js';
import { storeCall } from '../store/store-call.js';
import { AnswerRun, type AnswerResult } from './answer-run.js';
import { buildPrompt } from './build-prompt.js';
import { ConcurrencyGate, GateTimeoutError } from './concurrency-gate.js';
import { DeltaCoalescer } from './delta-coalescer.js';
import type { KbHit } from '../knowledge-base/knowledge-base.js';
import { AUTO_RAG_INSTRUCTION, runAutoRag, type ModelStep } from './strategies/auto-rag.js';
import { offlineAnswer } from './strategies/offline-answer.js';
import { selectPassages, toSources, type RagOptions, type Retriever } from './strategies/retriever.js';
import { looksLikeFollowUp, rewriteFollowUp } from './strategies/rewrite-follow-up.js';

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
  model: ChatModel;
  /** the knowledge base; absent or empty = answers without retrieval */
  retriever?: Retriever;
  gate: ConcurrencyGate;
  logger: Logger;
  options: ChatServiceOptions;
}

/** Who asks: the openid owns the conversation, `ownerKey` (the session) owns the in-flight answer. */
export interface Asker {
  openid: string;
  ownerKey: string;
}

export interface ChatInput {
  query: string;
  useAutoRag: boolean;
}

/**
 * The chat orchestrator: store the question → load history → prompt → model → store the
 * answer. Transports start a run and listen to it; nothing here knows about sockets or HTTP.
 */
export class ChatService {
  private readonly runs = new Map<string, AnswerRun>();

  constructor(private readonly deps: ChatServiceDeps) {}

  /**
   * Starts an answer. Throws AppError at once (nothing stored) for an empty or too long
   * question, a second question while one is in flight for the same session (409), or a
   * full waiting line (503). Later failures arrive as the run's result.
   */
  start(asker: Asker, input: ChatInput): AnswerRun {
    const query = input.query.trim();
    if (query === '') throw new AppError('empty_query');
    if (query.length > this.deps.options.maxQueryChars) {
      throw new AppError('query_too_long', `问题太长（${query.length} 字），最多 ${this.deps.options.maxQueryChars} 字`);
    }
    if (this.runs.has(asker.ownerKey)) throw new AppError('chat_in_progress');
    const run = new AnswerRun(randomUUID(), asker.openid, asker.ownerKey);
    const ticket = this.deps.gate.enter(this.deps.options.queueTimeoutMs, run.signal);
    if (!ticket) throw new AppError('server_busy');
    this.runs.set(asker.ownerKey, run);
    void this.execute(run, query, input.useAutoRag, ticket.acquired).finally(() => this.runs.delete(asker.ownerKey));
    return run;
  }

  /** The answer in flight for a session, if any. */
  activeRun(ownerKey: string): AnswerRun | undefined {
    return this.runs.get(ownerKey);
  }

  get activeCount(): number {
    return this.runs.size;
  }

  listHistory(openid: string, limit: number): Promise<StoredMessage[]> {
    return storeCall(this.deps.history.listRecent(openid, limit));
  }

  /** A stored answer of the current conversation, by id (for clients resuming late). */
  async findAnswer(openid: string, id: string): Promise<StoredMessage | undefined> {
    const recent = await storeCall(this.deps.history.listRecent(openid, Math.max(50, this.deps.options.historyTurns * 2)));
    return recent.find((message) => message.id === id && message.role === 'assistant');
  }

  /** Starts a new conversation; an answer in flight for the session is cancelled first. */
  async clear(asker: Asker): Promise<void> {
    const run = this.runs.get(asker.ownerKey);
    if (run) {
      run.cancel();
      await run.done;
    }
    await storeCall(this.deps.history.clear(asker.openid));
  }

  /** Waits up to `deadlineMs` for answers in flight, then cancels the rest (shutdown). */
  async drain(deadlineMs: number): Promise<void> {
    const all = () => Promise.all([...this.runs.values()].map((run) => run.done));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([all(), deadline]);
    clearTimeout(timer);
    for (const run of this.runs.values()) run.cancel();
    await all();
  }

  private async execute(run: AnswerRun, query: string, useAutoRag: boolean, acquired: Promise<() => void>): Promise<void> {
    const { history, logger, options } = this.deps;
    const log = logger.child({ answerId: run.id });
    let release: (() => void) | undefined;
    let outcome: { usage?: TokenUsage; hits: KbHit[] } = { hits: [] };
    try {
      // The question is stored before anything can fail on the model side: never lost.
      await storeCall(
        history.append(run.openid, {
          id: randomUUID(),
          role: 'user',
          content: query,
          status: 'complete',
          createdAt: Date.now(),
        }),
      );
      release = await acquired;
      const turns = await storeCall(history.listRecent(run.openid, options.historyTurns * 2 + 1));
      outcome = await this.answer(run, query, turns, useAutoRag);
      await this.finish(run, 'complete', outcome, log);
    } catch (error) {
      if (run.cancelled) return void (await this.finish(run, 'cancelled', outcome, log));
      const appError = toAppError(error);
      log.warn({ reason: appError.reason, error: String(error) }, 'answer failed');
      await this.finish(run, 'failed', outcome, log, appError);
    } finally {
      // A slot granted after this run gave up (e.g. the store failed while it waited in
      // line) goes straight back, or it would be lost for good.
      if (release) release();
      else void acquired.then((lateRelease) => lateRelease(), () => undefined);
    }
  }

  /**
   * Picks how to answer: offline (knowledge base only), auto RAG (the model searches with a
   * tool), or classic RAG (retrieve for the question — rewritten when it is a follow-up —
   * and quote what clears the relevance bar). Without a knowledge base: the model alone.
   */
  private async answer(
    run: AnswerRun,
    query: string,
    turns: StoredMessage[],
    useAutoRag: boolean,
  ): Promise<{ usage?: TokenUsage; hits: KbHit[] }> {
    const { model, retriever, options } = this.deps;
    const haveKb = retriever !== undefined && retriever.size() > 0;
    if (!model.online) {
      const hits = haveKb ? await selectPassages(retriever, query, options.rag) : [];
      await this.generate(run, async function* () {
        yield { type: 'text-delta' as const, text: offlineAnswer(hits, !haveKb) };
      });
      return { hits };
    }
    const step = (messages: ChatMessage[], tools?: ToolDefinition[]) =>
      this.generate(run, () => model.stream({ messages, tools, signal: run.signal }));
    if (!haveKb) return { ...(await step(buildPrompt(options.systemPrompt, turns))), hits: [] };
    if (useAutoRag) {
      const messages = buildPrompt(`${options.systemPrompt}\n\n${AUTO_RAG_INSTRUCTION}`, turns);
      try {
        return await runAutoRag({
          messages,
          generate: step,
          retriever,
          rag: options.rag,
          onSearch: (searchQuery) => run.emitProgress('searching', searchQuery),
        });
      } catch (error) {
        // A provider without function calling rejects `tools` with a 4xx before any text:
        // fall back to rewrite-then-retrieve.
        if (!(LlmError.is(error) && error.kind === 'bad_request' && run.text === '')) throw error;
        this.deps.logger.warn({ answerId: run.id }, 'model refused tools: auto RAG falls back to retrieval');
      }
    }
    const searchQuery = looksLikeFollowUp(query, turns) ? await rewriteFollowUp(model, turns, query, run.signal) : query;
    if (searchQuery !== query) run.emitProgress('searching', searchQuery);
    const hits = await selectPassages(retriever, searchQuery, options.rag);
    const { usage } = await step(buildPrompt(options.systemPrompt, turns, hits));
    return { usage, hits };
  }

  /** Streams one model call into the run (coalesced deltas); returns its usage and tool calls. */
  private async generate(run: AnswerRun, parts: () => AsyncIterable<StreamPart>): Promise<ModelStep> {
    const coalescer = new DeltaCoalescer(this.deps.options.streamCoalesceMs, (text) => run.emitDelta(text));
    let usage: TokenUsage | undefined;
    let toolCalls: ToolCall[] = [];
    try {
      for await (const part of parts()) {
        if (part.type === 'text-delta') {
          run.text += part.text;
          coalescer.push(part.text);
        } else if (part.type === 'tool-calls') {
          toolCalls = part.calls;
        } else {
          usage = part.usage;
        }
      }
      return { usage, toolCalls };
    } finally {
      coalescer.flush();
      coalescer.dispose();
    }
  }

  /** Stores the answer (partial when cancelled or failed) and tells the listeners. */
  private async finish(
    run: AnswerRun,
    status: MessageStatus,
    outcome: { usage?: TokenUsage; hits: KbHit[] },
    log: Logger,
    error?: AppError,
  ): Promise<void> {
    const { usage } = outcome;
    const sources = toSources(outcome.hits);
    const result: AnswerResult = { id: run.id, text: run.text, status, usage, error, sources };
    const worthStoring = status !== 'failed' || run.text !== '';
    if (worthStoring) {
      try {
        await this.deps.history.append(run.openid, {
          id: run.id,
          role: 'assistant',
          content: run.text,
          status,
          createdAt: Date.now(),
          usage,
          meta: { model: this.deps.model.name, ...(sources.length > 0 ? { sources } : {}) },
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

function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof GateTimeoutError) return new AppError('server_busy');
  if (LlmError.is(error)) return new AppError(error.kind === 'timeout' ? 'model_timeout' : 'model_error');
  return new AppError('internal_error', undefined, { cause: error });
}
