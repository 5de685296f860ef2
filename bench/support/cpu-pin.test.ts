import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { test } from 'node:test';
import { pinDrivers, pinned, pinServer } from './cpu-pin.js';

const allowed = (pid: number) => /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];

test('--pin: what the runner starts runs on CPU 1, a server and the processes it started move to CPU 0', { skip: cpus().length < 2 && 'needs 2 CPUs' }, async () => {
  const before = spawn('sleep', ['30']);
  pinServer(before.pid); // not pinning yet: nothing happens
  assert.notEqual(allowed(before.pid!), '0');
  assert.equal(pinned(), false);
  pinDrivers();
  assert.equal(allowed(process.pid), '1');
  // a server with a child of its own, as WORKERS=n makes
  const server = spawn('sh', ['-c', 'sleep 30 & wait']);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(allowed(server.pid!), '1', 'inherited from the runner');
  pinServer(server.pid);
  assert.equal(allowed(server.pid!), '0');
  const children = readFileSync(`/proc/${server.pid}/task/${server.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  assert.ok(children.length > 0 && children.every((pid) => allowed(pid) === '0'), 'its children too');
  pinServer(server.pid, '0,1');
  assert.equal(allowed(server.pid!), '0-1');
  for (const child of [before, server]) child.kill('SIGKILL');
  for (const pid of children) process.kill(pid, 'SIGKILL');
});
