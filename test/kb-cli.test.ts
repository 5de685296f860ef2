import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { compiledCommand } from './support/spawn-server.js';
import { startGateway } from './support/start-gateway.js';
import { until } from './support/wait.js';

const exec = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'wag-kb-cli-'));

/** `npm run kb -- …` as a user runs it: the compiled CLI in its own process, configured by the environment. */
function runKb(args: string[], dir: string) {
  const [node, entry] = compiledCommand('cli/kb.js');
  return exec(node, [...entry, ...args], { env: { PATH: process.env.PATH, ENV_FILE: '/dev/null', DATA_DIR: dir }, timeout: 60_000 });
}

function kb(...args: string[]) {
  return runKb(args, dataDir).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe('knowledge-base CLI: mistakes get a Chinese hint, not a raw error', () => {
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('add of a path that does not exist names it, without ENOENT or a stack trace', async () => {
    const result = await kb('add', '/nonexistent/手册.pdf');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /找不到文件或目录：\/nonexistent\/手册\.pdf/);
    assert.doesNotMatch(result.stderr, /ENOENT|\bat \S+:\d+/);
  });

  it('remove by the file name alone finds the stored kb-sample/ name; an unknown name points at the list', async () => {
    const added = await kb('add', 'kb-sample');
    assert.equal(added.code, 0, added.stderr);
    const wrong = await kb('remove', '不存在的文档.md');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /没有找到文档「不存在的文档\.md」.*npm run kb -- list/);
    const byShortName = await kb('remove', '常见问题.md');
    assert.equal(byShortName.code, 0, byShortName.stderr);
    assert.match(byShortName.stdout, /已删除 常见问题\.md/);
    const listed = await kb('list');
    assert.doesNotMatch(listed.stdout, /常见问题/);
  });
});

describe('knowledge-base CLI and a running gateway on the same data', () => {
  it('a document added or removed with the CLI is found (or gone) in the running server within seconds', async () => {
    const gw = await startGateway({ knowledgeBase: true, env: { KB_LOAD_SAMPLE: 'false', ADMIN_TOKEN: 'cli-token' } });
    const docs = mkdtempSync(join(tmpdir(), 'wag-kb-docs-'));
    try {
      writeFileSync(join(docs, '会员权益.md'), '# 会员权益\n\n金卡会员每月可以领取两张免运费券，有效期三十天。\n');
      const search = async () => {
        const response = await fetch(`${gw.url}/admin/kb/search?q=${encodeURIComponent('金卡会员免运费券')}`, {
          headers: { authorization: 'Bearer cli-token' },
        });
        const body = (await response.json()) as { data: { hits: Array<{ source: string }> } };
        return body.data.hits.map((hit) => hit.source);
      };
      assert.deepEqual(await search(), []);
      const added = await runKb(['add', join(docs, '会员权益.md')], gw.dataDir);
      assert.match(added.stdout, /新增 1/);
      await until(async () => (await search()).includes('会员权益.md'), 'the running server to find the new document', 15_000, 100);
      await runKb(['remove', '会员权益.md'], gw.dataDir);
      await until(async () => (await search()).length === 0, 'the running server to drop the removed document', 15_000, 100);
    } finally {
      await gw.stop();
      rmSync(docs, { recursive: true, force: true });
    }
  });
});

