import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { freePort, serverCommand } from './support/spawn-server.js';

const run = promisify(execFile);

/** Runs the entry point to its exit; resolves with its code and stderr. */
async function startExpectingFailure(env: Record<string, string>) {
  const [node, args] = serverCommand();
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
});
