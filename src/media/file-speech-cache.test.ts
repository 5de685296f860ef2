import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { FileSpeechCache } from './file-speech-cache.js';

const KEY = 'ab'.repeat(32);

describe('FileSpeechCache', () => {
  it('finds what it saved, whole or by byte range, and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'speech-cache-'));
    try {
      const cache = await FileSpeechCache.open({ dir, maxAgeMs: 0 });
      assert.equal(await cache.find(KEY), undefined);
      await cache.save(KEY, Buffer.from('0123456789'));
      const found = (await cache.find(KEY))!;
      assert.equal(found.bytes, 10);
      assert.equal(await text(found.open()), '0123456789');
      assert.equal(await text(found.open({ start: 2, end: 4 })), '234');
      assert.deepEqual(readdirSync(dir), [`${KEY}.mp3`], 'no temporary file left');
      await assert.rejects(cache.find('../../etc/passwd'), /bad speech cache key/);
      await cache.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sweeps recordings past their age and stale temporaries, and leaves other files alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'speech-cache-'));
    try {
      const old = new Date(Date.now() - 3 * 86_400_000);
      for (const name of [`${KEY}.mp3`, `.${KEY}.x.tmp`, 'url-key']) {
        writeFileSync(join(dir, name), 'x');
        utimesSync(join(dir, name), old, old);
      }
      writeFileSync(join(dir, `${'cd'.repeat(32)}.mp3`), 'fresh');
      const cache = await FileSpeechCache.open({ dir, maxAgeMs: 86_400_000 });
      assert.deepEqual(readdirSync(dir).sort(), [`${'cd'.repeat(32)}.mp3`, 'url-key']);
      await cache.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
