import assert from 'node:assert/strict';
import { it } from 'node:test';
import { SessionService } from '../../auth/session-service.js';
import { createSqliteStores } from '../../store/sqlite/create-sqlite-stores.js';
import { SessionLease } from './session-lease.js';

const session = { sessionId: 's1', openid: 'o1' };

it('session lease: trusted until the recheck interval or the expiry, whichever comes first', () => {
  let now = 1_000;
  const lease = new SessionLease(2_000, () => now);
  assert.equal(lease.current('s1'), undefined, 'nothing confirmed yet');
  lease.grant(session, now + 60_000);
  assert.deepEqual(lease.current('s1'), session);
  assert.equal(lease.current('other'), undefined, 'another session id is never leased');
  now += 1_999;
  assert.deepEqual(lease.current('s1'), session);
  now += 1;
  assert.equal(lease.current('s1'), undefined, 'asks the store again after the recheck interval');
  lease.grant(session, now + 500);
  now += 499;
  assert.deepEqual(lease.current('s1'), session);
  now += 1;
  assert.equal(lease.current('s1'), undefined, 'never trusted at or past the record expiry');
  lease.grant(session, now + 60_000);
  lease.clear();
  assert.equal(lease.current('s1'), undefined);
});

it('session lease over SessionService.confirm: an expired session is refused on the next message', async () => {
  const stores = createSqliteStores(':memory:');
  let now = Date.now();
  const ttlMs = 60_000;
  // confirm reads the store only; login (WeChat) is not part of this test
  const wechat = { mode: 'dev' as const, code2Session: () => Promise.reject(new Error('not called')) };
  const sessions = new SessionService(stores.sessions, wechat, { ttlMs, now: () => now });
  const lease = new SessionLease(2_000, () => now);
  try {
    await stores.sessions.put({ sessionId: 's1', openid: 'o1', sessionKey: 'k', createdAt: now, expiresAt: now + 1_000 });
    const confirmed = await sessions.confirm('s1');
    // the expiry slid forward (touched) and the caller is told the new one
    assert.equal(confirmed.expiresAt, now + ttlMs);
    assert.equal((await stores.sessions.get('s1'))?.expiresAt, now + ttlMs);
    const again = await sessions.confirm('s1');
    assert.equal(again.expiresAt, now + ttlMs, 'a fresh record is not touched again; its own expiry is returned');

    // a record that expires before the recheck interval: the lease ends with it
    await stores.sessions.put({ sessionId: 's2', openid: 'o2', sessionKey: 'k', createdAt: now, expiresAt: now + 1_000 });
    const short = new SessionService(stores.sessions, wechat, { ttlMs: 1_000, now: () => now });
    const c2 = await short.confirm('s2');
    lease.grant(c2.session, c2.expiresAt);
    assert.equal(c2.expiresAt, now + 1_000);
    now += 1_000;
    assert.equal(lease.current('s2'), undefined, 'the lease does not outlive the session');
    await assert.rejects(short.confirm('s2'), (error: Error & { reason?: string }) => error.reason === 'session_expired');
  } finally {
    await stores.close();
  }
});
