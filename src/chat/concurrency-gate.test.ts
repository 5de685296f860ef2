import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyGate, GateTimeoutError } from './concurrency-gate.js';

const never = new AbortController().signal;

describe('ConcurrencyGate', () => {
  it('admits up to the cap, queues up to the line length, refuses beyond', async () => {
    const gate = new ConcurrencyGate(2, 1);
    const a = gate.enter(1_000, never)!;
    const b = gate.enter(1_000, never)!;
    const c = gate.enter(1_000, never)!;
    assert.equal(gate.enter(1_000, never), null, 'line full');
    assert.deepEqual([gate.activeCount, gate.queuedCount], [2, 1]);
    const releaseA = await a.acquired;
    let cGranted = false;
    void c.acquired.then(() => (cGranted = true));
    releaseA();
    releaseA(); // releasing twice must not free two slots
    const releaseC = await c.acquired;
    assert.ok(cGranted);
    assert.deepEqual([gate.activeCount, gate.queuedCount], [2, 0]);
    (await b.acquired)();
    releaseC();
    assert.equal(gate.activeCount, 0);
  });

  it('a waiter gives up its place on timeout or abort', async () => {
    const gate = new ConcurrencyGate(1, 5);
    const holder = gate.enter(1_000, never)!;
    const timesOut = gate.enter(20, never)!;
    const keepAlive = setTimeout(() => undefined, 1_000); // the gate's own timers are unref'd
    await assert.rejects(timesOut.acquired, GateTimeoutError);
    clearTimeout(keepAlive);
    const controller = new AbortController();
    const aborted = gate.enter(1_000, controller.signal)!;
    controller.abort(new Error('cancelled'));
    await assert.rejects(aborted.acquired, /cancelled/);
    assert.equal(gate.queuedCount, 0);
    (await holder.acquired)();
    assert.equal(gate.activeCount, 0, 'nobody left waiting: the slot is free');
  });

  it('tryEnter takes a free slot only, never one an answer waits for', async () => {
    const gate = new ConcurrencyGate(2, 5);
    const release = gate.tryEnter();
    assert.ok(release);
    assert.equal(gate.activeCount, 1);
    const answer = gate.enter(1_000, never)!;
    assert.equal(gate.tryEnter(), null, 'all slots taken');
    const waiting = gate.enter(1_000, never)!;
    assert.equal(gate.queuedCount, 1);
    release();
    const releaseWaiting = await waiting.acquired;
    (await answer.acquired)();
    assert.equal(gate.activeCount, 1);
    releaseWaiting();
    assert.equal(gate.activeCount, 0);
  });
});
