import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { SessionRecord, SessionStore } from './session-store.js';

export interface SessionStoreFixture {
  store: SessionStore;
  /** Removes what the test wrote and releases the backend; runs after every test. */
  cleanup(): Promise<void>;
}

/**
 * The behaviour every SessionStore driver must show, run against its real backend
 * (Keyv-style). A driver's test file calls it once; `make` gives each test a fresh store.
 *
 * @example
 * runSessionStoreContract('redis', async () => {
 *   const stores = createRedisStores({ url, prefix: `test-${randomUUID()}:` });
 *   return { store: stores.sessions, cleanup: () => stores.close() };
 * });
 */
export function runSessionStoreContract(
  name: string,
  make: () => Promise<SessionStoreFixture>,
): void {
  describe(`SessionStore contract: ${name}`, () => {
    let fixture: SessionStoreFixture;
    let store: SessionStore;
    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
    });
    afterEach(() => fixture.cleanup());

    it('returns what was put', async () => {
      const withUnion = record({ unionid: 'u_1' });
      const without = record();
      await store.put(withUnion);
      await store.put(without);
      assert.deepEqual(await store.get(withUnion.sessionId), withUnion);
      assert.deepEqual(await store.get(without.sessionId), without);
    });

    it('returns null for an unknown id', async () => {
      assert.equal(await store.get(randomUUID()), null);
    });

    it('replaces a record put again under the same id', async () => {
      const first = record({ unionid: 'u_old' });
      const second: SessionRecord = { ...record(), sessionId: first.sessionId, sessionKey: 'k2' };
      await store.put(first);
      await store.put(second);
      assert.deepEqual(await store.get(first.sessionId), second);
    });

    it('never returns a record whose expiresAt has passed', async () => {
      const past = record({ expiresAt: Date.now() - 1_000 });
      await store.put(past);
      assert.equal(await store.get(past.sessionId), null);

      const soon = record({ expiresAt: Date.now() + 150 });
      await store.put(soon);
      assert.deepEqual(await store.get(soon.sessionId), soon);
      await sleep(250);
      assert.equal(await store.get(soon.sessionId), null);
    });

    it('touch moves the expiry later', async () => {
      const r = record({ expiresAt: Date.now() + 150 });
      await store.put(r);
      const later = Date.now() + 60_000;
      await store.touch(r.sessionId, later);
      await sleep(250);
      assert.deepEqual(await store.get(r.sessionId), { ...r, expiresAt: later });
    });

    it('touch can expire a session early', async () => {
      const r = record();
      await store.put(r);
      await store.touch(r.sessionId, Date.now() - 1);
      assert.equal(await store.get(r.sessionId), null);
    });

    it('touch neither creates an unknown session nor revives an expired one', async () => {
      const unknown = randomUUID();
      await store.touch(unknown, Date.now() + 60_000);
      assert.equal(await store.get(unknown), null);

      const dead = record({ expiresAt: Date.now() + 50 });
      await store.put(dead);
      await sleep(120);
      await store.touch(dead.sessionId, Date.now() + 60_000);
      assert.equal(await store.get(dead.sessionId), null);
    });

    it('delete forgets the session and ignores unknown ids', async () => {
      const r = record();
      await store.put(r);
      await store.delete(r.sessionId);
      assert.equal(await store.get(r.sessionId), null);
      await store.delete(randomUUID());
    });

    it('keeps Chinese and emoji in fields', async () => {
      const r = record({ openid: 'o_用户🙂', unionid: 'u_联合' });
      await store.put(r);
      assert.deepEqual(await store.get(r.sessionId), r);
    });

    it('answers ping and tolerates close twice', async () => {
      await store.ping();
      await store.close();
      await store.close();
    });
  });
}

function record(extra: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    sessionId: randomUUID(),
    openid: `o_${randomUUID()}`,
    sessionKey: 'c2Vzc2lvbl9rZXk=',
    createdAt: now,
    expiresAt: now + 3_600_000,
    ...extra,
  };
}
