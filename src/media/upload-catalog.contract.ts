import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { UploadCatalog } from './upload-catalog.js';
import type { StoredUpload } from './upload-store.js';

/**
 * What every UploadCatalog driver must do, run against its real backend
 * (upload-catalog.test.ts: SQLite file, Redis at 127.0.0.1:6379).
 * `expiresBySelf`: the backend forgets expired records on its own (Redis), so takeExpired is empty.
 */
export function runUploadCatalogContract(
  name: string,
  open: (now: () => number) => Promise<{ catalog: UploadCatalog; cleanup(): Promise<void> }>,
  options: { expiresBySelf: boolean },
): void {
  const record = (openid: string, createdAt: number, ttlMs = 60_000): StoredUpload => ({
    id: randomBytes(18).toString('base64url'),
    openid,
    kind: 'image',
    mime: 'image/png',
    bytes: 1234,
    createdAt,
    expiresAt: createdAt + ttlMs,
  });

  describe(`UploadCatalog contract: ${name}`, () => {
    it('finds what was put, exactly; unknown ids are undefined; delete forgets', async () => {
      const now = Date.now();
      const { catalog, cleanup } = await open(() => now);
      try {
        const upload = { ...record('o_alice', now), kind: 'audio' as const, mime: 'audio/silk' };
        await catalog.put(upload);
        assert.deepEqual(await catalog.find(upload.id), upload);
        assert.equal(await catalog.find(randomBytes(18).toString('base64url')), undefined);
        await catalog.delete(upload.id);
        assert.equal(await catalog.find(upload.id), undefined);
      } finally {
        await cleanup();
      }
    });

    it('takeExpired hands out expired records once (or never, when the backend expires them itself)', async () => {
      let now = Date.now();
      const { catalog, cleanup } = await open(() => now);
      try {
        const old = record('o_a', now, 1_000);
        const fresh = record('o_b', now, 3_600_000);
        await catalog.put(old);
        await catalog.put(fresh);
        now += 2_000;
        const taken = await catalog.takeExpired(now, 100);
        if (options.expiresBySelf) {
          assert.deepEqual(taken, []);
        } else {
          assert.deepEqual(taken, [old.id]);
          assert.equal(await catalog.find(old.id), undefined);
          assert.deepEqual(await catalog.takeExpired(now, 100), []);
        }
        assert.deepEqual(await catalog.find(fresh.id), fresh);
      } finally {
        await cleanup();
      }
    });
  });
}
