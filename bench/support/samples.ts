/** Reducing load-generator samples to the figures the table shows. */
import type { ChatSample } from '../load/load-protocol.js';
import { pct } from '../percentile.js';

export interface SampleSummary {
  count: number;
  ttfd: number[];
  gaps: number[];
  errors: string[];
  violations: string[];
}

export function summarize(samples: readonly ChatSample[]): SampleSummary {
  return {
    count: samples.length,
    ttfd: samples.filter((s) => !s.error && Number.isFinite(s.ttfd)).map((s) => s.ttfd),
    gaps: samples.flatMap((s) => s.gaps ?? []),
    errors: samples.flatMap((s) => (s.error ? [s.error] : [])),
    violations: samples.flatMap((s) => s.violations),
  };
}

export const p50 = (values: number[]) => pct(values, 50);
export const p99 = (values: number[]) => pct(values, 99);

/** "3 × socket closed (1006); 1 × no answer within 60000 ms" */
export function tally(messages: readonly string[], limit = 3): string {
  const counts = new Map<string, number>();
  for (const m of messages) counts.set(m, (counts.get(m) ?? 0) + 1);
  return [...counts].slice(0, limit).map(([m, n]) => `${n} × ${m}`).join('; ');
}
