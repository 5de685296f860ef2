import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cgroupQuota, usableCpus } from './usable-cpus.js';

/** A directory standing in for `/`, with these files. */
function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'wag-cgroup-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function check(files: Record<string, string>, cpus: number, expected: number, quota?: number): void {
  const root = fakeRoot(files);
  try {
    assert.equal(usableCpus(root, cpus), expected);
    if (quota !== undefined) assert.equal(cgroupQuota(root), quota);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('usableCpus: affinity capped by the cgroup CPU quota', () => {
  it('cgroup v2: cpu.max of the own cgroup, floored (1.5 CPUs → 1), never above the affinity count', () => {
    check({ 'proc/self/cgroup': '0::/kubepods/pod1/ctr\n', 'sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': '150000 100000\n' }, 8, 1, 1.5);
    check({ 'proc/self/cgroup': '0::/app\n', 'sys/fs/cgroup/app/cpu.max': '400000 100000\n' }, 2, 2);
    check({ 'proc/self/cgroup': '0::/app\n', 'sys/fs/cgroup/app/cpu.max': '50000 100000\n' }, 4, 1, 0.5);
  });

  it('cgroup v2: "max" is no limit; a parent\'s limit (the pod\'s) counts; a cgroup namespace sees its own at the mount', () => {
    check({ 'proc/self/cgroup': '0::/app\n', 'sys/fs/cgroup/app/cpu.max': 'max 100000\n' }, 4, 4, undefined);
    check({ 'proc/self/cgroup': '0::/pod/ctr\n', 'sys/fs/cgroup/pod/ctr/cpu.max': 'max 100000\n', 'sys/fs/cgroup/pod/cpu.max': '200000 100000\n' }, 16, 2);
    check({ 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/cpu.max': '100000 100000\n' }, 16, 1);
  });

  it('cgroup v1: cfs quota over period, with cpu alone or cpu,cpuacct; -1 is no limit; the container\'s mount root too', () => {
    check({ 'proc/self/cgroup': '4:memory:/x\n1:cpu:/wag\n', 'sys/fs/cgroup/cpu/wag/cpu.cfs_quota_us': '100000\n', 'sys/fs/cgroup/cpu/wag/cpu.cfs_period_us': '100000\n' }, 2, 1, 1);
    check({ 'proc/self/cgroup': '3:cpu,cpuacct:/docker/abc\n', 'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '300000\n', 'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n' }, 8, 3);
    check({ 'proc/self/cgroup': '1:cpu:/\n', 'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n', 'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' }, 2, 2, undefined);
  });

  it('no cgroup files, unreadable or garbled ones: the affinity count as is', () => {
    check({}, 3, 3, undefined);
    check({ 'proc/self/cgroup': 'nonsense\n' }, 2, 2, undefined);
    check({ 'proc/self/cgroup': '0::/app\n', 'sys/fs/cgroup/app/cpu.max': 'lots 0\n' }, 2, 2, undefined);
    check({ 'proc/self/cgroup': '0::/../../etc\n' }, 2, 2, undefined);
  });
});
