/**
 * What every hostile-input test checks after its attack: the process saw no unhandled
 * rejection or uncaught exception (the gateway runs in the test's process), and nothing wrote
 * to Object.prototype (`__proto__`/`constructor` keys in client JSON).
 *
 * @example
 * const watch = watchProcess();
 * // … attack …
 * watch.assertClean();
 * watch.stop();
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { startFakeLlmServer, type FakeLlmServer } from './fake-llm-server.js';
import { startGateway, type RunningGateway } from './start-gateway.js';

export interface ProcessWatch {
  readonly failures: string[];
  /** asserts no failure so far and an untouched Object.prototype */
  assertClean(): void;
  stop(): void;
}

export function watchProcess(): ProcessWatch {
  const failures: string[] = [];
  const protoKeys = Reflect.ownKeys(Object.prototype).map(String).sort();
  const onRejection = (reason: unknown) => failures.push(`unhandledRejection: ${String(reason)}`);
  const onException = (error: unknown) => failures.push(`uncaughtException: ${String(error)}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    failures,
    assertClean() {
      assert.deepEqual(failures, [], 'no unhandled rejection or uncaught exception');
      assert.deepEqual(Reflect.ownKeys(Object.prototype).map(String).sort(), protoKeys, 'Object.prototype untouched');
      const probe = {} as Record<string, unknown>;
      for (const key of ['polluted', 'isAdmin', 'type', 'query']) assert.equal(probe[key], undefined, `Object.prototype.${key}`);
    },
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

/**
 * Fuzz budget: a fixed seed and few runs in CI; `npm run fuzz` sets FUZZ_RUNS higher and
 * FUZZ_SEED=random (the seed is printed so a failure can be replayed with FUZZ_SEED=<n>).
 */
export function fuzzSettings(defaultRuns: number): { numRuns: number; seed: number } {
  const numRuns = Number(process.env.FUZZ_RUNS ?? defaultRuns);
  const seedText = process.env.FUZZ_SEED ?? '20260901';
  const seed = seedText === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(seedText);
  console.log(`fuzz: ${numRuns} runs, FUZZ_SEED=${seed}`);
  return { numRuns, seed };
}

/**
 * For one describe block: a real gateway with a fake model (LOG_LEVEL warn, no model retries,
 * plus `env`) started before its tests and stopped after, and a process watch around them.
 */
export function hostileGateway(env: Record<string, string> = {}): { readonly gw: RunningGateway; readonly watch: ProcessWatch } {
  const state = {} as { gw: RunningGateway; watch: ProcessWatch; llm: FakeLlmServer };
  before(async () => {
    state.watch = watchProcess();
    state.llm = await startFakeLlmServer({ apiKey: 'test-key' });
    state.gw = await startGateway({ llm: state.llm, env: { LOG_LEVEL: 'warn', LLM_MAX_RETRIES: '0', ...env } });
  });
  after(async () => {
    await state.gw.stop();
    await state.llm.close();
    state.watch.stop();
  });
  return state;
}

/** JSON text of an object with these keys, written by hand so `__proto__` stays an own key. */
export function objectText(pairs: Array<[string, unknown]>): string {
  return `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
}
