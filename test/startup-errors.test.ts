import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { freePort, serverCommand } from './support/spawn-server.js';

const run = promisify(execFile);

/**
 * A Node on this machine whose native-addon ABI differs from this one's: on PATH (CI's Node 26
 * pass has the machine's Node 20 behind it) or fetched by .ci/run into ~/.cache/node*.
 */
function otherAbiNode(): string | undefined {
  const cache = join(homedir(), '.cache');
  const candidates = [
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'node')),
    ...(existsSync(cache) ? readdirSync(cache).filter((d) => /^node\d+$/.test(d)).map((d) => join(cache, d, 'package', 'bin', 'node')) : []),
  ];
  for (const node of candidates) {
    if (!existsSync(node)) continue;
    try {
      if (execFileSync(node, ['-p', 'process.versions.modules']).toString().trim() !== process.versions.modules) return node;
    } catch {
      // not a runnable Node
    }
  }
  return undefined;
}

/** Runs the entry point to its exit (on another Node when given); resolves with its code and stderr. */
async function startExpectingFailure(env: Record<string, string>, command: [string, string[]] = serverCommand()) {
  const [node, args] = command;
  return run(node, args, {
    env: { PATH: process.env.PATH, ENV_FILE: '/dev/null', HOST: '127.0.0.1', KB_LOAD_SAMPLE: 'false', ...env },
    timeout: 30_000,
  }).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => error,
  );
}

describe('startup failures end with one clear line, no stack trace', () => {
  it('the port is taken', async () => {
    const port = await freePort();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const result = await startExpectingFailure({ PORT: String(port), DATA_DIR: mkdtempSync(join(tmpdir(), 'wag-port-')) });
      assert.equal(result.code, 1);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line: ${result.stderr}`);
      assert.match(lines[0]!, /端口 \d+ 已被占用/);
      assert.match(lines[0]!, /already in use/);
      assert.doesNotMatch(result.stderr, /\bat \S+:\d+/, 'no stack trace');
    } finally {
      squatter.close();
    }
  });

  it('REDIS_URL points at nothing', async () => {
    const port = await freePort(); // nothing listens there
    const result = await startExpectingFailure({ PORT: String(await freePort()), REDIS_URL: `redis://127.0.0.1:${port}` });
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
    assert.match(result.stderr, /启动失败 \/ startup failed: REDIS_URL is set but Redis does not answer/);
  });

  const other = otherAbiNode();
  it('better-sqlite3 was built for another Node (upgraded without npm rebuild): the server and the kb command say which command fixes it', { skip: !other && 'no Node with another addon ABI on this machine' }, async () => {
    const [, args] = serverCommand();
    const dataDir = mkdtempSync(join(tmpdir(), 'wag-abi-'));
    const server = await startExpectingFailure({ PORT: String(await freePort()), DATA_DIR: dataDir }, [other!, args]);
    assert.equal(server.code, 1);
    assert.equal(server.stderr.trim().split('\n').length, 1, `one line: ${server.stderr}`);
    assert.match(server.stderr, /^启动失败 \/ startup failed: 原生模块 better-sqlite3 是为另一个 Node\.js 版本编译的/);
    assert.match(server.stderr, /run `npm rebuild better-sqlite3`/);
    const kb = await startExpectingFailure({ DATA_DIR: dataDir }, [other!, [args.at(-1)!.replace(/main\.js$/, 'cli/kb.js'), 'list']]);
    assert.equal(kb.code, 1);
    assert.equal(kb.stderr.trim().split('\n').length, 1, `one line: ${kb.stderr}`);
    assert.match(kb.stderr, /npm rebuild better-sqlite3/);
  });
});
