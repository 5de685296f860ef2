import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gcInUse, gcRestartArgs, SINGLE_THREADED_GC } from './gc-mode.js';

const argv = ['/usr/bin/node', '/srv/dist/main.js', '--extra'];
const flags = ['--max-semi-space-size=8'];

describe('GC_MODE: when Node restarts itself with single-threaded GC', () => {
  it('auto (or unset): only on one CPU; the restart keeps every flag and argument, the new flag after the operator\'s', () => {
    for (const mode of [undefined, '', 'auto']) {
      assert.deepEqual(gcRestartArgs(mode, 1, flags, argv), ['--max-semi-space-size=8', SINGLE_THREADED_GC, '/srv/dist/main.js', '--extra']);
      assert.equal(gcRestartArgs(mode, 2, flags, argv), undefined);
      assert.equal(gcRestartArgs(mode, 64, flags, argv), undefined);
    }
  });

  it('single on any number of CPUs, parallel never', () => {
    assert.deepEqual(gcRestartArgs('single', 8, [], argv), [SINGLE_THREADED_GC, '/srv/dist/main.js', '--extra']);
    assert.equal(gcRestartArgs('parallel', 1, flags, argv), undefined);
  });

  it('never twice, and never against a flag the operator wrote (either spelling, either way)', () => {
    for (const given of ['--single-threaded-gc', '--single_threaded_gc', '--no-single-threaded-gc', '--no-single_threaded_gc']) {
      assert.equal(gcRestartArgs('single', 1, [given], argv), undefined, given);
    }
  });

  it('not under a debugger (--inspect, --inspect-brk, --inspect-wait): a restart would drop its session; nothing to warn about either', () => {
    for (const flag of ['--inspect', '--inspect-brk=0.0.0.0:9229', '--inspect-wait']) {
      assert.equal(gcRestartArgs('single', 1, [flag], argv), undefined, flag);
      assert.deepEqual(gcInUse('auto', 1, [flag]), { gc: 'parallel', missing: false }, flag);
    }
  });

  it('an unknown mode restarts nothing (loadConfig refuses it with one clear line)', () => {
    assert.equal(gcRestartArgs('fast', 1, flags, argv), undefined);
  });

  it('gcInUse: what runs, and whether a wanted restart did not happen (Node < 22.15)', () => {
    assert.deepEqual(gcInUse('auto', 1, [SINGLE_THREADED_GC]), { gc: 'single-threaded', missing: false });
    assert.deepEqual(gcInUse('auto', 1, []), { gc: 'parallel', missing: true });
    assert.deepEqual(gcInUse('auto', 2, []), { gc: 'parallel', missing: false });
    assert.deepEqual(gcInUse('single', 4, ['--no-single-threaded-gc']), { gc: 'parallel', missing: false });
    assert.deepEqual(gcInUse('parallel', 1, []), { gc: 'parallel', missing: false });
  });
});
