import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBenchOptions, selected } from './bench-options.js';
import { withNodeFlags } from './support/node-runtime.js';

test('the default run selects every scenario, 10k idle sockets and the full ramp', () => {
  const options = parseBenchOptions([]);
  assert.ok(['1', '2', '3', 'cpu', '4', '5', '6', '7', '8'].every((s) => selected(options, s)));
  assert.deepEqual(options.idleSockets, [10_000]);
  assert.deepEqual(options.levels, [50, 100, 250, 500, 1000, 2000, 3000]);
  assert.equal(options.coalesceMs, 0);
  assert.equal(options.cpuChats, 4);
  assert.equal(parseBenchOptions(['--cpu-chats=16']).cpuChats, 16);
  assert.throws(() => parseBenchOptions(['--cpu-chats=0']), /positive/);
  assert.equal(options.pin, false);
});

test('--only, --idle, --levels and --node are read', () => {
  const options = parseBenchOptions(['--only=1,cpu', '--idle', '--levels=500,1000', '--node=/opt/node24/bin/node', '--pin']);
  assert.equal(options.pin, true);
  assert.ok(selected(options, 'cpu') && selected(options, '1') && !selected(options, '3'));
  assert.deepEqual(options.idleSockets, [10_000, 20_000]);
  assert.deepEqual(options.levels, [500, 1000]);
  assert.equal(options.node, '/opt/node24/bin/node');
  assert.deepEqual(options.nodeFlags, []);
  assert.deepEqual(parseBenchOptions(['--node-flags=--max-semi-space-size=4 --v8-pool-size=2']).nodeFlags, ['--max-semi-space-size=4', '--v8-pool-size=2']);
  assert.equal(options.base, undefined);
  assert.equal(parseBenchOptions(['--base=/tmp/main/dist']).base, '/tmp/main/dist');
  assert.equal(options.baseNode, undefined);
  assert.equal(parseBenchOptions(['--base=dist', '--base-node=/opt/node26/bin/node']).baseNode, '/opt/node26/bin/node');
  assert.equal(options.baseNodeFlags, undefined);
  assert.deepEqual(parseBenchOptions(['--base=dist', '--node-flags=--single-threaded-gc', '--base-node-flags=']).baseNodeFlags, []);
  assert.throws(() => parseBenchOptions(['--base-node-flags=--jitless']), /needs --base/);
  assert.throws(() => parseBenchOptions(['--base-node=/opt/node26/bin/node']), /--base-node needs --base/);
  const scale = parseBenchOptions(['--only=8']);
  assert.ok(selected(scale, '8') && !selected(scale, '1'));
});

test('an unknown scenario or a bad number is refused with the flag named', () => {
  assert.throws(() => parseBenchOptions(['--only=1,10']), /--only: unknown scenario 10/);
  assert.throws(() => parseBenchOptions(['--levels=100,x']), /--levels takes positive numbers/);
  assert.throws(() => parseBenchOptions(['--coalesce=-1']), /--coalesce/);
});

test('--node-flags go after npm start\'s flags, right before the entry point, so they override them', () => {
  assert.deepEqual(withNodeFlags(['node', ['--max-semi-space-size=8', 'dist/main.js']], ['--max-semi-space-size=32']), [
    'node',
    ['--max-semi-space-size=8', '--max-semi-space-size=32', 'dist/main.js'],
  ]);
});
