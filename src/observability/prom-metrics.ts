import { getHeapStatistics } from 'node:v8';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TokenUsage } from '../llm/chat-model.js';
import type { ChatOutcome, GatewayMetrics, GaugeSources } from './gateway-metrics.js';

// for WORKERS=n, from the one module that loads prom-client (imported on demand: see create-metrics.ts)
export { AggregatorRegistry } from 'prom-client';

/**
 * LLM latency spans two orders of magnitude: a first token in 0.2 s from a warm model, a
 * long answer in a minute or more. Seconds.
 */
const FIRST_TOKEN_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60];
const ANSWER_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300];
/** A group commit takes tens of µs on a healthy disk; milliseconds mean the disk (or the WAL) is in trouble. */
const COMMIT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * GatewayMetrics on a prom-client registry of its own (never the global default one), so
 * several gateways in one process — the tests — never collide. Names follow Prometheus
 * conventions: `wag_` prefix, base units, `_total` on counters. Node's default metrics
 * (event-loop delay percentiles, CPU, memory, GC) come along with the same prefix.
 *
 * @example
 * const metrics = new PromMetrics();
 * metrics.login('ok');
 * const { contentType, body } = await metrics.render();
 */
export class PromMetrics implements GatewayMetrics {
  readonly registry = new Registry();
  private readonly logins = this.counter('wag_logins_total', 'Login attempts by outcome (ok or the error reason)', ['outcome']);
  private readonly chats = this.counter('wag_chats_total', 'Answers ended, by outcome', ['outcome']);
  private readonly answerSeconds = this.histogram('wag_answer_duration_seconds', 'From a question to the end of its answer, by outcome', ANSWER_BUCKETS, [
    'outcome',
  ]);
  private readonly firstTokenSeconds = this.histogram(
    'wag_time_to_first_token_seconds',
    "From a question to the model's first text (queue, history, retrieval and the model included)",
    FIRST_TOKEN_BUCKETS,
  );
  private readonly modelTokens = this.counter('wag_model_tokens_total', 'Model tokens by direction (in = prompt, out = completion)', ['direction']);
  private readonly modelErrors = this.counter('wag_model_errors_total', 'Model calls failed for good, by kind', ['kind']);
  private readonly redisErrors = this.counter('wag_redis_errors_total', 'Redis connection errors, by connection', ['client']);
  private readonly contentChecks = this.counter('wag_content_checks_total', 'Content-security checks, by checker and verdict', ['checker', 'verdict']);
  private readonly refusals = this.counter('wag_rate_limited_total', 'Requests refused by a usage limit, by limit', ['limit']);
  private readonly uploads = this.counter('wag_uploads_total', 'Uploads stored, by kind', ['kind']);
  private readonly uploadBytes = this.counter('wag_upload_bytes_total', 'Bytes of uploads stored, by kind', ['kind']);
  private readonly uploadRefusals = this.counter('wag_upload_refusals_total', 'Uploads refused, by reason', ['reason']);
  private readonly commitSeconds = this.histogram(
    'wag_sqlite_commit_seconds',
    'SQLite group commits: how long each held the event loop, by batch (history, sessions)',
    COMMIT_BUCKETS,
    ['batch'],
  );
  private readonly committedRows = this.counter('wag_sqlite_committed_rows_total', 'Rows committed by SQLite group commits, by batch', ['batch']);
  private readonly holdSeconds = this.histogram(
    'wag_sqlite_commit_hold_seconds',
    'SQLite group commits held while the checkpoint thread started the WAL over (acknowledgements waited this long)',
    COMMIT_BUCKETS,
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'wag_' });
    this.heapAllocated();
  }

  /**
   * Bytes allocated on the JS heap since start, where Node reports it (26+): its rate is what
   * sets how often the young generation is collected, and per chat it is a steady figure where
   * CPU time swings with the machine (the benchmark's cpu scenario reads it).
   */
  private heapAllocated(): void {
    const read = () => (getHeapStatistics() as { total_allocated_bytes?: number }).total_allocated_bytes;
    let last = read();
    if (last === undefined) return;
    new Counter({
      name: 'wag_nodejs_heap_allocated_bytes_total',
      help: 'Bytes allocated on the V8 heap since the process started (Node 26+)',
      registers: [this.registry],
      collect() {
        // V8's count only grows; the clamp keeps a scrape from ever throwing on a negative inc
        const now = read()!;
        this.inc(Math.max(0, now - last!));
        last = now;
      },
    });
  }

  login(outcome: string): void {
    this.logins.inc({ outcome });
  }

  chatFinished(outcome: ChatOutcome, seconds: number): void {
    this.chats.inc({ outcome });
    this.answerSeconds.observe({ outcome }, seconds);
  }

  firstToken(seconds: number): void {
    this.firstTokenSeconds.observe(seconds);
  }

  tokens(usage: TokenUsage): void {
    this.modelTokens.inc({ direction: 'in' }, usage.promptTokens);
    this.modelTokens.inc({ direction: 'out' }, usage.completionTokens);
  }

  modelError(kind: string): void {
    this.modelErrors.inc({ kind });
  }

  redisError(client: string): void {
    this.redisErrors.inc({ client });
  }

  contentCheck(checker: string, verdict: string): void {
    this.contentChecks.inc({ checker, verdict });
  }

  rateLimited(limit: string): void {
    this.refusals.inc({ limit });
  }

  uploadStored(kind: string, bytes: number): void {
    this.uploads.inc({ kind });
    this.uploadBytes.inc({ kind }, bytes);
  }

  uploadRefused(reason: string): void {
    this.uploadRefusals.inc({ reason });
  }

  sqliteCommit(batch: string, rows: number, seconds: number): void {
    this.commitSeconds.observe({ batch }, seconds);
    this.committedRows.inc({ batch }, rows);
  }

  sqliteHold(seconds: number): void {
    this.holdSeconds.observe(seconds);
  }

  watch(sources: GaugeSources): void {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers: [this.registry], collect() { this.set(read()); } });
    gauge('wag_open_sockets', 'Open WebSocket connections', sources.openSockets);
    gauge('wag_chat_queue_depth', 'Answers waiting for a model slot (LLM_MAX_CONCURRENCY)', sources.queuedChats);
    gauge('wag_chats_active', 'Answers in flight (generating or waiting)', sources.activeChats);
    if (sources.sqliteWalBytes) gauge('wag_sqlite_wal_bytes', "Size of the SQLite write-ahead log on disk (stays near a few MB; growing means checkpoints fall behind)", sources.sqliteWalBytes);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private counter(name: string, help: string, labelNames: string[]): Counter {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram(name: string, help: string, buckets: number[], labelNames: string[] = []): Histogram {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }
}
