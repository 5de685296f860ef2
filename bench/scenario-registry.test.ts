import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCENARIOS, loadScenario } from './scenario-registry.js';

const scenario = (module: string, exportName: string) => ({ id: 'x', title: 'x', module, exportName });

test('a module that does not exist yet is "not available", not an error', async () => {
  assert.equal(await loadScenario(scenario('no-such-bench.ts', 'noSuchBench')), 'not available: bench/no-such-bench.ts does not exist yet');
});

test('a module without the export is not imported (it may still be a script that runs on import)', async () => {
  assert.equal(await loadScenario(scenario('bench-row.ts', 'rowBench')), 'not available: bench/bench-row.ts does not export rowBench yet');
});

test('an exported function is returned', async () => {
  const fn = await loadScenario(scenario('support/bench-answer.ts', 'benchAnswer'));
  assert.equal(typeof fn, 'function');
});

test('every scenario this branch owns is wired to an existing export', async () => {
  for (const s of SCENARIOS.filter((s) => !['5', '6', '7'].includes(s.id))) {
    assert.equal(typeof (await loadScenario(s)), 'function', s.module);
  }
});
