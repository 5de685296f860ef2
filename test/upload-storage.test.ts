import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { makeMedia, type MediaFiles } from './support/make-media.js';
import { spawnServer } from './support/spawn-server.js';
import { startGateway } from './support/start-gateway.js';
import { sessionFor, uploadForm } from './support/upload-client.js';

let media: MediaFiles;
before(async () => {
  media = await makeMedia();
});
after(() => media.cleanup());

describe('uploads: limits, disks and instances', () => {
  it('USER_UPLOADS_PER_MINUTE: past it, 429 upload_rate_limited with Retry-After, per user', async () => {
    let now = Date.UTC(2026, 0, 1, 0, 0, 10);
    const gw = await startGateway({ env: { USER_UPLOADS_PER_MINUTE: '2' }, limitsClock: () => now });
    try {
      const alice = await sessionFor(gw.url, 'alice');
      const bob = await sessionFor(gw.url, 'bob');
      const png = media.file('x.png');
      for (let i = 0; i < 2; i++) assert.equal((await uploadForm(gw.url, alice.sessionId, [{ data: png }])).status, 200);
      const refused = await uploadForm(gw.url, alice.sessionId, [{ data: png }]);
      assert.equal(refused.status, 429);
      assert.equal(refused.body.data.reason, 'upload_rate_limited');
      assert.match(refused.body.message, /上传太频繁/);
      assert.equal((refused.headers as Headers).get('retry-after'), '50');
      assert.equal((await uploadForm(gw.url, bob.sessionId, [{ data: png }])).status, 200, 'another user is not affected');
      now += 60_000;
      assert.equal((await uploadForm(gw.url, alice.sessionId, [{ data: png }])).status, 200, 'the next minute');
    } finally {
      await gw.stop();
    }
  });

  it('USER_UPLOAD_BYTES_PER_DAY: once a day\'s bytes are used, 429 upload_quota_exceeded until midnight in Shanghai', async () => {
    let now = Date.UTC(2026, 0, 1, 4, 0, 0); // 12:00 in Shanghai
    const gw = await startGateway({ env: { USER_UPLOAD_BYTES_PER_DAY: '500' }, limitsClock: () => now });
    try {
      const alice = await sessionFor(gw.url, 'alice');
      const png = media.file('x.png'); // 280 bytes
      assert.equal((await uploadForm(gw.url, alice.sessionId, [{ data: png }])).status, 200);
      assert.equal((await uploadForm(gw.url, alice.sessionId, [{ data: png }])).status, 200, 'under the quota when it starts');
      const refused = await uploadForm(gw.url, alice.sessionId, [{ data: png }]);
      assert.equal(refused.status, 429);
      assert.equal(refused.body.data.reason, 'upload_quota_exceeded');
      assert.equal(refused.body.data.retry_after, 12 * 3600);
      const refusedVoice = await uploadForm(gw.url, alice.sessionId, [{ data: media.file('x.amr') }]);
      assert.equal(refusedVoice.status, 429, 'every kind counts');
      now += 12 * 3_600_000;
      assert.equal((await uploadForm(gw.url, alice.sessionId, [{ data: png }])).status, 200, 'a new day in Shanghai');
    } finally {
      await gw.stop();
    }
  });

  it('a full disk (a real 256 KiB tmpfs as UPLOAD_DIR) answers 507 and leaves no temp file', async (t) => {
    const mount = mkdtempSync(join(tmpdir(), 'wag-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount], { stdio: 'pipe' });
    } catch {
      rmSync(mount, { recursive: true, force: true });
      // not root, or no CAP_SYS_ADMIN: receive-upload.test.ts still covers ENOSPC with a failing stream
      return t.skip('cannot mount a tmpfs here');
    }
    const gw = await startGateway({ env: { UPLOAD_DIR: mount } });
    try {
      const alice = await sessionFor(gw.url, 'alice');
      const wav = media.file('x.wav'); // ~350 KB: more than the disk holds
      assert.ok(wav.length > 256 * 1024);
      const full = await uploadForm(gw.url, alice.sessionId, [{ data: wav }]);
      assert.equal(full.status, 507);
      assert.equal(full.body.data.reason, 'upload_storage_full');
      assert.match(full.body.message, /存储空间不足/);
      assert.deepEqual(readdirSync(join(mount, 'tmp')), [], 'the partial temp file was removed');
      // space is back: small files still go in
      assert.equal((await uploadForm(gw.url, alice.sessionId, [{ data: media.file('x.png') }])).status, 200);
    } finally {
      await gw.stop();
      execFileSync('umount', [mount]);
      rmSync(mount, { recursive: true, force: true });
    }
  });

  it('with REDIS_URL, an upload made on one instance is read on another (shared UPLOAD_DIR), by its owner only', async () => {
    const prefix = `wag-test-${randomUUID()}:`;
    const shared = mkdtempSync(join(tmpdir(), 'wag-shared-'));
    const redis = new Redis('redis://127.0.0.1:6379');
    let now = Date.now();
    const a = await startGateway({ store: { redisPrefix: prefix }, env: { UPLOAD_DIR: shared }, uploadsClock: () => now });
    const b = await startGateway({ store: { redisPrefix: prefix }, env: { UPLOAD_DIR: shared }, uploadsClock: () => now });
    try {
      const alice = await sessionFor(a.url, 'alice');
      const reply = await uploadForm(a.url, alice.sessionId, [{ data: media.file('x.m4a') }]);
      assert.equal(reply.status, 200);
      const id = reply.body.data.upload_id;
      const onB = await b.uploads.get(alice.openid, id);
      assert.ok(onB, 'instance B finds the record');
      assert.ok((await b.uploads.read(onB)).equals(media.file('x.m4a')));
      assert.equal(await b.uploads.get('o_someone_else', id), undefined);
      const ttl = await redis.pttl(`${prefix}upload:${id}`);
      assert.ok(ttl > 23 * 3_600_000 && ttl <= 24 * 3_600_000, 'the record expires in Redis with the upload');
      now += 24 * 3_600_000 + 120_000;
      assert.equal(await b.uploads.get(alice.openid, id), undefined, 'expired');
      assert.ok((await b.uploads.sweepExpired()) >= 1);
      assert.equal(existsSync(join(shared, id)), false, 'the file went with it');
    } finally {
      await a.stop();
      await b.stop();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('an UPLOAD_DIR that cannot be created stops the start with one clear line', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wag-notdir-')), 'plain-file');
    writeFileSync(file, 'not a directory');
    await assert.rejects(startGateway({ env: { UPLOAD_DIR: join(file, 'uploads') } }), (error: Error) =>
      error.name === 'StartupError' && /cannot open the upload directory/.test(error.message) && error.message.includes('ENOTDIR'),
    );
    rmSync(join(file, '..'), { recursive: true, force: true });
  });

  it('kill -9 in the middle of an upload: the next start removes the temp file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wag-crash-'));
    const env = { DATA_DIR: dataDir, KB_LOAD_SAMPLE: 'false' };
    try {
      const first = await spawnServer(env);
      const { sessionId } = await sessionFor(first.url, 'alice');
      const tmp = join(dataDir, 'uploads', 'tmp');
      // half a multipart body, then silence: the server is streaming it into a temp file
      const boundary = 'crashboundary';
      const req = request(`${first.url}/wechat/upload`, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization: `Bearer ${sessionId}` },
      });
      req.on('error', () => {}); // the server dies under it
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n`);
      req.write(media.file('x.wav').subarray(0, 100_000));
      for (let i = 0; readdirSync(tmp).length === 0; i++) {
        assert.ok(i < 100, 'a temp file appears');
        await sleep(50);
      }
      first.child.kill('SIGKILL');
      await first.exited;
      req.destroy();
      assert.equal(readdirSync(tmp).length, 1, 'the crash left its temp file');
      const second = await spawnServer(env);
      try {
        assert.deepEqual(readdirSync(tmp), [], 'removed at start');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
