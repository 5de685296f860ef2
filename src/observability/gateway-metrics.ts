import type { TokenUsage } from '../llm/chat-model.js';

/** How an answer ended, as the chat flow sees it (`blocked` = the question was refused). */
export type ChatOutcome = 'complete' | 'cancelled' | 'failed' | 'blocked' | 'retracted';

/** Live values read at scrape time, so nothing has to update a gauge on every change. */
export interface GaugeSources {
  openSockets(): number;
  queuedChats(): number;
  activeChats(): number;
  /** SQLite on a file: the WAL's size in bytes */
  sqliteWalBytes?: (() => number) | undefined;
}

/**
 * What the gateway reports to operators, in its own words. Domain code calls these few hooks;
 * only the Prometheus implementation (prom-metrics.ts) knows prom-client. Every label value is
 * from a closed set (an error reason, an LlmError kind, a limit kind, a checker name) — never
 * an openid, an IP or user text, so series stay bounded and metrics leak nobody.
 */
export interface GatewayMetrics {
  /** a login attempt's outcome: `ok` or the error reason the client got */
  login(outcome: string): void;
  /** an answer ended; `seconds` from the question's arrival to its end */
  chatFinished(outcome: ChatOutcome, seconds: number): void;
  /** the model's first text of an answer, `seconds` after the question arrived */
  firstToken(seconds: number): void;
  tokens(usage: TokenUsage): void;
  /** a model call that failed for good (after the driver's retries), by LlmError kind */
  modelError(kind: string): void;
  /** a Redis connection reported an error (`client` = which connection) */
  redisError(client: string): void;
  /** one content-security check: which checker, and `pass` / `risky` / `error` */
  contentCheck(checker: string, verdict: string): void;
  /** a request refused by a usage limit (LimitKind) */
  rateLimited(limit: string): void;
  /** an upload stored, by kind (image / audio) and its size */
  uploadStored(kind: string, bytes: number): void;
  /** an upload refused, by the error reason the client got */
  uploadRefused(reason: string): void;
  /**
   * a SQLite group commit (`batch`: history / sessions): its rows, and how long it held the
   * event loop — a slow or full disk shows here before it shows as slow answers
   */
  sqliteCommit(batch: string, rows: number, seconds: number): void;
  /**
   * the group commits were held while the checkpoint thread started the WAL over (a busy
   * gateway, every few hundred milliseconds): the acknowledgements of that moment waited this long
   */
  sqliteHold(seconds: number): void;
  /** registers the gauges read at scrape time (the app calls it once it has its parts) */
  watch(sources: GaugeSources): void;
  /** the exposition text; undefined when metrics are off */
  render(): Promise<{ contentType: string; body: string } | undefined>;
}

/** Metrics off (neither METRICS_TOKEN nor METRICS_PORT): every hook does nothing, prom-client is never loaded. */
export const noMetrics: GatewayMetrics = {
  login() {},
  chatFinished() {},
  firstToken() {},
  tokens() {},
  modelError() {},
  redisError() {},
  contentCheck() {},
  rateLimited() {},
  uploadStored() {},
  uploadRefused() {},
  sqliteCommit() {},
  sqliteHold() {},
  watch() {},
  render: async () => undefined,
};
