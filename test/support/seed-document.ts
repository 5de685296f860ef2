import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The integration document our users wrote their mini-programs against (../shared/seed). */
export const seedDocumentPath = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'seed', 'mini-program-integration.md');

/**
 * The seed document's text. It lives outside this repository (beside it, in ../shared), so a
 * clone without it gets a message naming the missing file, not a bare ENOENT.
 */
export function readSeedDocument(): string {
  if (!existsSync(seedDocumentPath)) {
    throw new Error(
      `the seed document is missing: ${seedDocumentPath} does not exist. ` +
        'These tests run the code of the integration document our users built against; ' +
        'check out the shared folder beside this repository (../shared/seed/mini-program-integration.md).',
    );
  }
  return readFileSync(seedDocumentPath, 'utf8');
}

/** Fenced code blocks of the seed document, in order, with their language tag. */
export function seedCodeBlocks(): Array<{ lang: string; code: string }> {
  return [...readSeedDocument().matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

/** The first block of `lang` containing `marker`, verbatim. */
export function seedBlock(lang: string, marker: string): string {
  const block = seedCodeBlocks().find((b) => b.lang === lang && b.code.includes(marker));
  if (!block) throw new Error(`no ${lang} block containing ${JSON.stringify(marker)} in ${seedDocumentPath}`);
  return block.code;
}

/**
 * Runs the seed document's Python test script against `wsUrl` (only its URI changed) and checks
 * the transcript it prints: connected, login_response, chat_processing, chat_response — exactly
 * the seed's frames. `env` is the script's whole environment (e.g. SSL_CERT_FILE for wss://).
 */
export async function runSeedPythonScript(wsUrl: string, env?: NodeJS.ProcessEnv): Promise<void> {
  const script = seedBlock('python', 'async def test_websocket').replace('ws://localhost:8000/wechat/ws', wsUrl);
  assert.ok(script.includes(wsUrl), 'only the URI was changed');
  // Debian's python3-websockets (installed by .ci/run) lives with the system interpreter
  const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', script], { timeout: 30_000, ...(env && { env }) });
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 4, stdout);
  const [connected, login, processing, reply] = lines.map((line) => JSON.parse(line.slice(line.indexOf('{'))));
  assert.deepEqual(connected, { type: 'connected', code: 0, message: '连接成功', data: null });
  assert.equal(login.type, 'login_response');
  assert.equal(login.code, 0);
  assert.deepEqual(processing, { type: 'chat_processing', code: 0, message: '正在处理中...', data: null });
  assert.equal(reply.type, 'chat_response');
  assert.equal(reply.code, 0);
  assert.ok(reply.data.msg.length > 0);
  assert.equal(reply.data.session_id, login.data.session_id);
}
