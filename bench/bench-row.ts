/**
 * One figure of `npm run bench`: the table and bench/results/*.json are lists of these, so every
 * scenario module (streaming, intake, HTTP, idle sockets, retrieval…) reports in the same shape.
 */
export interface BenchRow {
  /** e.g. "1 ttfd@1", "5 intake sqlite" — numbered as in the performance issue */
  scenario: string;
  /** what was measured, e.g. "added TTFD p99" */
  metric: string;
  value: number;
  /** "ms", "µs", "KB", "req/s", "chats/s"… */
  unit: string;
  /** the in-run baseline this figure is compared with (direct SSE client, raw ws echo, peer stack…) */
  baseline?: { label: string; value: number };
  /** the issue's target in words, e.g. "≤ 3 ms" */
  target?: string;
  /** whether the target was met (absent when there is no target) */
  pass?: boolean;
}
