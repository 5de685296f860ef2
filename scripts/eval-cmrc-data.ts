import { readFileSync } from 'node:fs';

/**
 * Shared by scripts/eval-retrieval.ts and bench/retrieval-scale.ts: the CMRC 2018 retrieval
 * files (../shared/eval/cmrc2018/, see its README) and the figures both print.
 */
export interface Passage {
  id: string;
  title: string;
  text: string;
  source?: string;
}

export interface EvalQuery {
  id: string;
  query: string;
  gold: string[];
  answers: string[];
}

export function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/** A passage as the file a user would load: Markdown with the title as its # heading. */
export function passageAsMarkdown(p: Passage): Buffer {
  return Buffer.from(`# ${p.title}\n\n${p.text}\n`);
}

/** q-th quantile (0…1) of the values, nearest-rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export interface RankFigures {
  queries: number;
  recallAt1: number;
  recallAt5: number;
  recallAt10: number;
  mrrAt10: number;
}

/** `ranks[i]` = 1-based rank of the first correct chunk for query i, or 0 when not in the top 10. */
export function rankFigures(ranks: readonly number[]): RankFigures {
  const n = ranks.length || 1;
  const within = (k: number) => ranks.filter((r) => r > 0 && r <= k).length / n;
  return {
    queries: ranks.length,
    recallAt1: within(1),
    recallAt5: within(5),
    recallAt10: within(10),
    mrrAt10: ranks.reduce((s, r) => s + (r > 0 && r <= 10 ? 1 / r : 0), 0) / n,
  };
}

export const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
export const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;
