/**
 * The benchmark's output: every BenchRow as one line of a Markdown table (so docs/performance.md
 * can quote it as is), and the JSON written to bench/results/.
 */
import type { BenchRow } from '../bench-row.js';

/** 3 significant-ish figures: 1234 → "1234", 12.345 → "12.3", 0.01234 → "0.0123". */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100 || Number.isInteger(value)) return Math.round(value).toString();
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** "+1.23 (×1.05)": how far the figure is from its baseline, in the row's unit and as a ratio. */
export function versusBaseline(row: BenchRow): string {
  if (!row.baseline) return '';
  const difference = row.value - row.baseline.value;
  const sign = difference >= 0 ? '+' : '−';
  const ratio = row.baseline.value === 0 ? '' : ` (×${formatNumber(row.value / row.baseline.value)})`;
  return `${sign}${formatNumber(Math.abs(difference))}${ratio}`;
}

const passCell = (row: BenchRow) => (row.pass === undefined ? '' : row.pass ? 'yes' : '**no**');

export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['scenario', 'metric', 'value', 'baseline', 'vs baseline', 'target', 'met'];
  const lines = rows.map((row) => [
    row.scenario,
    row.metric,
    `${formatNumber(row.value)} ${row.unit}`.trim(),
    row.baseline ? `${formatNumber(row.baseline.value)} ${row.unit} (${row.baseline.label})` : '',
    versusBaseline(row),
    row.target ?? '',
    passCell(row),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(line)].join('\n');
}

export interface BenchRun {
  startedAt: string;
  finishedAt: string;
  /** the Node the gateway ran on (--node) */
  node: string;
  /** the Node of the runner, the load generator and the Node baselines */
  runnerNode: string;
  host: { cpus: number; loadAverage: number[] };
  argv: string[];
  rows: BenchRow[];
  /** scenarios not run, and why (module not there yet, skipped by a flag, python missing…) */
  notes: string[];
  /** integrity problems (dropped / duplicated / reordered deltas); non-empty = the run failed */
  failures: string[];
}

export const formatJson = (run: BenchRun): string => `${JSON.stringify(run, null, 2)}\n`;
