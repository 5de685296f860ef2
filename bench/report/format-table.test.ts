import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BenchRow } from '../bench-row.js';
import { formatJson, formatNumber, formatTable, versusBaseline, type BenchRun } from './format-table.js';

const rows: BenchRow[] = [
  { scenario: '1 ttfd@1', metric: 'added TTFD p99', value: 2.345, unit: 'ms', baseline: { label: 'direct SSE', value: 0.5 }, target: '≤ 3 ms', pass: true },
  { scenario: '3 stall-free', metric: 'max streams', value: 1000, unit: 'streams', target: '≥ 2000', pass: false },
  { scenario: '4 idle', metric: 'RSS per socket', value: 29.04, unit: 'KB' },
];

test('numbers keep about three figures', () => {
  assert.equal(formatNumber(1234.6), '1235');
  assert.equal(formatNumber(12.345), '12.3');
  assert.equal(formatNumber(2.345), '2.35');
  assert.equal(formatNumber(0.012345), '0.0123');
  assert.equal(formatNumber(7), '7');
  assert.equal(formatNumber(NaN), 'NaN');
});

test('the table has a header, a rule and one aligned line per row', () => {
  const lines = formatTable(rows).split('\n');
  assert.equal(lines.length, 2 + rows.length);
  assert.match(lines[0]!, /^\| scenario +\| metric +\| value +\| baseline +\| vs baseline +\| target +\| met +\|$/);
  assert.match(lines[1]!, /^\|-+\|-+\|-+\|-+\|-+\|-+\|-+\|$/);
  assert.ok(lines.every((l) => l.length === lines[0]!.length), 'every line as wide as the header');
  assert.match(lines[2]!, /\| 2\.35 ms +\| 0\.500 ms \(direct SSE\) +\| \+1\.85 \(×4\.69\) +\| ≤ 3 ms +\| yes +\|/);
  assert.match(lines[3]!, /\| 1000 streams +\| +\| +\| ≥ 2000 +\| \*\*no\*\* +\|/);
  assert.match(lines[4]!, /\| 29\.0 KB +\| +\| +\| +\| +\|$/);
});

test('a figure below its baseline shows a minus and the ratio', () => {
  assert.equal(versusBaseline({ scenario: 'cpu', metric: 'CPU per chat', value: 1, unit: 'ms', baseline: { label: 'peer', value: 4 } }), '−3 (×0.250)');
  assert.equal(versusBaseline(rows[1]!), '');
});

test('the JSON keeps every row and field as given', () => {
  const run: BenchRun = {
    startedAt: '2026-12-01T00:00:00.000Z', finishedAt: '2026-12-01T00:05:00.000Z', node: 'v20', runnerNode: 'v20', host: { cpus: 2, loadAverage: [1, 1, 1] },
    argv: ['--only=1'], rows, notes: ['5: not available'], failures: [],
  };
  const text = formatJson(run);
  assert.ok(text.endsWith('\n'));
  assert.deepEqual(JSON.parse(text), run);
});
