import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runSeedPythonScript, seedBlock } from './support/seed-document.js';
import { spawnServer, type SpawnedServer } from './support/spawn-server.js';

const run = promisify(execFile);

/**
 * The seed document's own test code, run unchanged but for the server address, against
 * the real entry point started on its embedded defaults (no Redis, no LLM, no AppID) —
 * exactly what a new user gets from `npm start`.
 */
describe('the seed document\'s test script and curl commands, against `npm start` defaults', () => {
  let server: SpawnedServer;

  before(async () => {
    server = await spawnServer();
  });
  after(async () => {
    await server.stop();
  });

  it('the Python websockets script passes', async () => {
    await runSeedPythonScript(server.wsUrl);
  });

  it('the curl commands answer code 0', async () => {
    const commands = seedBlock('bash', 'curl http://localhost:8000/wechat/health')
      .replaceAll('http://localhost:8000', server.url)
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .join('\n')
      .split(/\n(?=curl )/)
      .map((command) => command.trim())
      .filter(Boolean);
    assert.equal(commands.length, 3, 'health, login, chat');
    for (const command of commands) {
      const { stdout } = await run('bash', ['-c', `${command} --silent --show-error --fail-with-body`], { timeout: 30_000 });
      const body = JSON.parse(stdout);
      assert.equal(body.code, 0, `${command}\n→ ${stdout}`);
    }
  });
});
