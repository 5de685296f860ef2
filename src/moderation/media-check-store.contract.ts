import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { MediaCheckStore } from './media-check-store.js';

/** What every MediaCheckStore driver must do, run against its real backend (media-check-store.test.ts). */
export function runMediaCheckStoreContract(name: string, open: () => Promise<{ store: MediaCheckStore; cleanup(): Promise<void> }>): void {
  const id = () => randomBytes(9).toString('hex');

  describe(`MediaCheckStore contract: ${name}`, () => {
    it('claims an upload once', async () => {
      const { store, cleanup } = await open();
      const upload = id();
      assert.equal(await store.claim(upload), true);
      assert.equal(await store.claim(upload), false);
      assert.equal(await store.claim(id()), true);
      await cleanup();
    });

    it('finds a put record; settles its verdict once; unknown traces are undefined', async () => {
      const { store, cleanup } = await open();
      const traceId = id();
      const record = { traceId, uploadId: id(), openid: 'o1', answerId: 'a1', submittedAt: 1_700_000_000_000 };
      await store.put(record);
      assert.deepEqual(await store.find(traceId), record);
      assert.equal(await store.find(id()), undefined);
      assert.equal(await store.settle(traceId, 'risky', 'image:20002'), true);
      assert.equal(await store.settle(traceId, 'pass', 'image:100'), false, 'a replay changes nothing');
      assert.deepEqual(await store.find(traceId), { ...record, verdict: 'risky', label: 'image:20002' });
      await cleanup();
    });

    it('flags messages per user; another user asking for the same ids gets nothing', async () => {
      const { store, cleanup } = await open();
      const [a, b, c] = [id(), id(), id()];
      await store.flag('o1', [a, b], 'image:1');
      assert.deepEqual([...(await store.flagsOf('o1', [a, b, c]))].sort(), [[a, 'image:1'], [b, 'image:1']].sort());
      assert.equal((await store.flagsOf('o2', [a, b])).size, 0);
      assert.equal((await store.flagsOf('o1', [])).size, 0);
      await cleanup();
    });
  });
}
