import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * How many CPUs this process can keep busy: the CPUs it may run on (`os.availableParallelism()`:
 * affinity, and on Node 22+ a cgroup v2 quota) capped by its container's CPU quota read here
 * from the cgroup files — v2 `cpu.max` and v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` — of
 * its own cgroup and every parent (a pod's limit sits above the container's). Node 20–26 did
 * not see a v1 quota (`docker run --cpus=1` on a cgroup v1 host reported every CPU of the host),
 * hence this. A fractional quota counts down (1.5 CPUs is 1 that can be kept busy), never below 1.
 *
 * `root` is for tests (a directory standing in for `/`).
 */
export function usableCpus(root = '/', cpus = availableParallelism()): number {
  const quota = cgroupQuota(root);
  return quota === undefined ? cpus : Math.max(1, Math.min(cpus, Math.floor(quota)));
}

/** The tightest CPU quota over this process's cgroup and its parents, in CPUs; undefined = none (or unreadable). */
export function cgroupQuota(root: string): number | undefined {
  const membership = read(join(root, 'proc/self/cgroup'));
  if (membership === undefined) return undefined;
  const quotas: number[] = [];
  for (const line of membership.split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line.trim()) ?? [];
    if (path === undefined) continue;
    if (controllers === '') {
      quotas.push(...walk(join(root, 'sys/fs/cgroup'), path, (dir) => v2Quota(read(join(dir, 'cpu.max')))));
    } else if (controllers!.split(',').includes('cpu')) {
      for (const mount of ['cpu', 'cpu,cpuacct', 'cpuacct,cpu']) {
        quotas.push(...walk(join(root, 'sys/fs/cgroup', mount), path, (dir) => v1Quota(read(join(dir, 'cpu.cfs_quota_us')), read(join(dir, 'cpu.cfs_period_us')))));
      }
    }
  }
  return quotas.length === 0 ? undefined : Math.min(...quotas);
}

/**
 * The quotas found at `mount` + `path` and each parent up to `mount` itself. Inside a container
 * the path names the host's hierarchy while the container sees its own cgroup at the mount:
 * the mount is always read too.
 */
function walk(mount: string, path: string, quotaAt: (dir: string) => number | undefined): number[] {
  const found: number[] = [];
  let dir = join(mount, path);
  for (;;) {
    if (!dir.startsWith(mount)) break;
    const quota = quotaAt(dir);
    if (quota !== undefined) found.push(quota);
    if (dir === mount) break;
    dir = dirname(dir);
  }
  return found;
}

/** `cpu.max`: "max 100000" (none) or "150000 100000" (1.5 CPUs). */
function v2Quota(text: string | undefined): number | undefined {
  const [quota, period] = text?.trim().split(/\s+/) ?? [];
  return ratio(quota, period);
}

/** `cpu.cfs_quota_us` is -1 when there is none. */
function v1Quota(quota: string | undefined, period: string | undefined): number | undefined {
  return ratio(quota?.trim(), period?.trim());
}

function ratio(quota: string | undefined, period: string | undefined): number | undefined {
  const q = Number(quota);
  const p = Number(period);
  return quota !== undefined && /^\d+$/.test(quota) && q > 0 && p > 0 ? q / p : undefined;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
