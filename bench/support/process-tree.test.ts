import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuBetween, cpuByProcess, parseStat, treeCpuMs, treeOf } from './process-tree.js';

// a real line's shape: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
const stat = (pid: number, comm: string, ppid: number, utime: number, stime: number) =>
  `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${utime} ${stime} 0 0 20 0 11 0 500 1000 200`;

test('utime + stime and the parent are read after the command name, even one with spaces and parentheses', () => {
  assert.deepEqual(parseStat(stat(4242, 'node', 7, 120, 30)), { pid: 4242, ppid: 7, ticks: 150 });
  assert.deepEqual(parseStat(stat(99, 'odd) name (x', 1, 5, 6)), { pid: 99, ppid: 1, ticks: 11 });
});

test('the tree is the root, its children and their children — not its siblings or parent', () => {
  const lines = [
    { pid: 1, ppid: 0, ticks: 1 },
    { pid: 10, ppid: 1, ticks: 100 }, // the primary
    { pid: 11, ppid: 10, ticks: 200 }, // worker
    { pid: 12, ppid: 10, ticks: 300 }, // worker
    { pid: 13, ppid: 12, ticks: 5 }, // a worker's child, listed after it or not
    { pid: 20, ppid: 1, ticks: 999 }, // another gateway
  ];
  assert.deepEqual(treeOf(10, lines).map((l) => l.pid).sort(), [10, 11, 12, 13]);
  assert.deepEqual(treeOf(10, [...lines].reverse()).map((l) => l.pid).sort(), [10, 11, 12, 13]);
  assert.deepEqual(treeOf(20, lines).map((l) => l.pid), [20]);
});

test('CPU between two readings sums each process; one that appeared in between counts from zero', () => {
  const before = new Map([[10, 100], [11, 50]]);
  const after = new Map([[10, 130], [11, 90], [12, 15]]);
  assert.deepEqual([...cpuByProcess(before, after)], [[10, 30], [11, 40], [12, 15]]);
  assert.equal(cpuBetween(before, after), 30 + 40 + 15);
});

test('this process is found in /proc with its own CPU time', () => {
  const own = treeCpuMs([process.pid]);
  assert.ok(own.has(process.pid));
  assert.ok(own.get(process.pid)! > 0);
});
