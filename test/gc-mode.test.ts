import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverCommand, spawnServer, type SpawnedServer } from './support/spawn-server.js';
import { WsTestClient } from './support/ws-test-client.js';

/** Node 22.15+ can restart itself in place; Node 20 cannot, and the gateway says so. */
const canRestart = typeof (process as { execve?: unknown }).execve === 'function';
const FLAG = '--single-threaded-gc';

/** The arguments the kernel has for the server's pid now (after any execve). */
function commandLine(server: SpawnedServer): string[] {
  return readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8').split('\0');
}

async function started(env: Record<string, string>, cpus: string) {
  return startedWith(await spawnServer({ LOG_LEVEL: 'info', ...env }, { cpus }));
}

function startedWith(server: SpawnedServer) {
  return { server, flagged: commandLine(server).includes(FLAG), output: server.output() };
}

/** The cgroup v1 cpu controller, when this test may make a cgroup there (root, as in CI), else why not. */
const CPU_CGROUP = '/sys/fs/cgroup/cpu';
function noCgroup(): string | false {
  if (!existsSync(join(CPU_CGROUP, 'cpu.cfs_quota_us'))) return 'no cgroup v1 cpu controller';
  try {
    accessSync(CPU_CGROUP, constants.W_OK);
    return false;
  } catch {
    return 'cannot create a cgroup (not root)';
  }
}

describe('GC_MODE: the real process on one CPU or two', () => {
  it('auto on one CPU: the same pid runs on with --single-threaded-gc (Node 22.15+), answers, and stops cleanly on SIGTERM', async () => {
    const { server, flagged, output } = await started({}, '0');
    try {
      if (canRestart) {
        assert.ok(flagged, `restarted with ${FLAG}: ${commandLine(server).join(' ')}`);
        assert.match(output, /"gc":"single-threaded","cpus":1/);
        assert.doesNotMatch(output, /ExperimentalWarning|did not restart/);
      } else {
        assert.ok(!flagged);
        assert.match(output, /GC_MODE=auto: single-threaded GC wanted, but Node did not restart itself with it — Node v\d+\S* has no process\.execve/);
      }
      const { client } = await WsTestClient.loggedIn(server.wsUrl);
      client.send({ type: 'chat', query: '你好' });
      assert.equal((await client.nextOf('chat_response')).code, 0);
      await client.close();
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
    } finally {
      await server.stop();
    }
  });

  it('GC_MODE from the .env file counts: it is read before Node decides to restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wag-envfile-'));
    try {
      writeFileSync(join(dir, '.env'), 'GC_MODE=parallel\n');
      const { server, flagged, output } = await started({ ENV_FILE: join(dir, '.env') }, '0');
      await server.stop();
      assert.ok(!flagged);
      assert.match(output, /"gc":"parallel","cpus":1/);
      assert.doesNotMatch(output, /did not restart/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parallel on one CPU keeps the default GC, silently', async () => {
    const { server, flagged, output } = await started({ GC_MODE: 'parallel' }, '0');
    await server.stop();
    assert.ok(!flagged);
    assert.match(output, /"gc":"parallel","cpus":1/);
    assert.doesNotMatch(output, /did not restart/);
  });

  it('a container-style quota of one CPU (cgroup v1, every CPU still in the affinity mask): auto restarts with it too', { skip: noCgroup() }, async () => {
    const group = mkdtempSync(join(CPU_CGROUP, 'wag-test-'));
    try {
      writeFileSync(join(group, 'cpu.cfs_quota_us'), readFileSync(join(group, 'cpu.cfs_period_us'), 'utf8').trim());
      const [node, args] = serverCommand();
      // the shell joins the cgroup, then becomes the server: same pid
      const command: [string, string[]] = ['sh', ['-c', `echo $$ > ${group}/cgroup.procs && exec "$0" "$@"`, node, ...args]];
      const { server, flagged, output } = startedWith(await spawnServer({ LOG_LEVEL: 'info' }, { command }));
      await server.stop();
      assert.match(output, /"cpus":1\b/);
      assert.equal(flagged, canRestart);
    } finally {
      rmdirSync(group);
    }
  });

  it('two CPUs: auto keeps the default GC, single takes the single-threaded one', { skip: availableParallelism() < 2 && 'needs 2 CPUs' }, async () => {
    const auto = await started({}, '0,1');
    await auto.server.stop();
    assert.ok(!auto.flagged);
    assert.match(auto.output, /"gc":"parallel","cpus":2/);
    const single = await started({ GC_MODE: 'single' }, '0,1');
    await single.server.stop();
    assert.equal(single.flagged, canRestart);
  });
});
