import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'wag-kb-cli-'));

/** `npm run kb -- …` as a user runs it: a separate process, configured by the environment. */
function kb(...args: string[]) {
  return exec(process.execPath, ['--import', 'tsx', 'scripts/kb.ts', ...args], {
    env: { PATH: process.env.PATH, ENV_FILE: '/dev/null', DATA_DIR: dataDir },
    timeout: 60_000,
  }).then(
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

  it('remove by the file name alone finds the stored name, or says which names exist', async () => {
    const added = await kb('add', 'kb-sample');
    assert.equal(added.code, 0, added.stderr);
    const wrong = await kb('remove', '不存在的文档.md');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /没有找到文档「不存在的文档\.md」.*npm run kb -- list/);
    const byShortName = await kb('remove', '常见问题.md');
    if (byShortName.code === 0) {
      // the knowledge base resolved an unambiguous file name itself
      assert.match(byShortName.stdout, /已删除/);
    } else {
      assert.match(byShortName.stderr, /是不是：kb-sample\/常见问题\.md/);
      const full = await kb('remove', 'kb-sample/常见问题.md');
      assert.equal(full.code, 0, full.stderr);
    }
    const listed = await kb('list');
    assert.doesNotMatch(listed.stdout, /常见问题/);
  });
});
