import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { FeedbackStore } from './feedback-store.js';

export interface FeedbackStoreFixture {
  store: FeedbackStore;
  /** Removes what the test wrote and releases the backend; runs after every test. */
  cleanup(): Promise<void>;
}

/**
 * The behaviour every FeedbackStore driver must show, run against its real backend.
 *
 * @example
 * runFeedbackStoreContract('sqlite', async () => {
 *   const stores = createSqliteStores(tempFile());
 *   return { store: stores.feedback, cleanup: () => stores.close() };
 * });
 */
export function runFeedbackStoreContract(name: string, make: () => Promise<FeedbackStoreFixture>): void {
  describe(`FeedbackStore contract: ${name}`, () => {
    let fixture: FeedbackStoreFixture;
    let store: FeedbackStore;
    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
    });
    afterEach(() => fixture.cleanup());

    it('records a rating and reads it back', async () => {
      const openid = user();
      const stored = await store.rate({ openid, conversationId: 'c1', answerId: 'a1', rating: 'up', comment: '很有用 👍' }, 1_000);
      const expected = { openid, conversationId: 'c1', answerId: 'a1', rating: 'up', comment: '很有用 👍', createdAt: 1_000, updatedAt: 1_000 };
      assert.deepEqual(stored, expected);
      assert.deepEqual(await store.ratingsOf(openid, ['a1']), new Map([['a1', expected]]));
    });

    it('the latest rating wins, keeps the first createdAt, and a rating without comment clears it', async () => {
      const openid = user();
      await store.rate({ openid, conversationId: 'c1', answerId: 'a1', rating: 'up', comment: '好' }, 1_000);
      const changed = await store.rate({ openid, conversationId: 'c1', answerId: 'a1', rating: 'down' }, 2_000);
      const expected = { openid, conversationId: 'c1', answerId: 'a1', rating: 'down', createdAt: 1_000, updatedAt: 2_000 };
      assert.deepEqual(changed, expected);
      assert.deepEqual((await store.ratingsOf(openid, ['a1'])).get('a1'), expected);
    });

    it('ratingsOf returns only the asked ids that have a rating, and only the user\'s', async () => {
      const [alice, bob] = [user(), user()];
      await store.rate({ openid: alice, conversationId: 'c', answerId: 'a1', rating: 'up' }, 1);
      await store.rate({ openid: alice, conversationId: 'c', answerId: 'a2', rating: 'down' }, 2);
      await store.rate({ openid: bob, conversationId: 'c', answerId: 'a3', rating: 'up' }, 3);
      const mine = await store.ratingsOf(alice, ['a2', 'a3', 'missing', 'a2']);
      assert.deepEqual([...mine.keys()], ['a2']);
      assert.equal(mine.get('a2')?.rating, 'down');
      assert.deepEqual(await store.ratingsOf(alice, []), new Map());
      assert.deepEqual(await store.ratingsOf(user(), ['a1']), new Map());
    });

    it('handles many ids at once', async () => {
      const openid = user();
      for (let i = 0; i < 20; i++) await store.rate({ openid, conversationId: 'c', answerId: `a${i}`, rating: i % 2 ? 'up' : 'down' }, i);
      const asked = Array.from({ length: 500 }, (_, i) => `a${i}`);
      const found = await store.ratingsOf(openid, asked);
      assert.equal(found.size, 20);
      assert.equal(found.get('a7')?.rating, 'up');
    });

    it('deleteConversation forgets that conversation\'s ratings, of that user only', async () => {
      const [alice, bob] = [user(), user()];
      await store.rate({ openid: alice, conversationId: 'gone', answerId: 'a1', rating: 'up' }, 1);
      await store.rate({ openid: alice, conversationId: 'kept', answerId: 'a2', rating: 'up' }, 2);
      await store.rate({ openid: bob, conversationId: 'gone', answerId: 'b1', rating: 'down' }, 3);
      await store.deleteConversation(alice, 'gone');
      assert.deepEqual([...(await store.ratingsOf(alice, ['a1', 'a2'])).keys()], ['a2']);
      assert.deepEqual([...(await store.ratingsOf(bob, ['b1'])).keys()], ['b1']);
      await store.deleteConversation(alice, 'never-existed');
    });

    it('keeps odd ids and comments intact', async () => {
      const openid = user();
      const answerId = 'id with "quotes", \\ and ,commas, 🙂';
      const comment = '多行\n"引号" \\ \u0000 end'.padEnd(500, '字');
      await store.rate({ openid, conversationId: 'c', answerId, rating: 'down', comment }, 5);
      assert.equal((await store.ratingsOf(openid, [answerId])).get(answerId)?.comment, comment);
    });

    it('stamps the current time when none is given', async () => {
      const before = Date.now();
      const stored = await store.rate({ openid: user(), conversationId: 'c', answerId: 'a', rating: 'up' });
      assert.ok(stored.createdAt >= before && stored.updatedAt === stored.createdAt);
    });

    it('tolerates close twice', async () => {
      await store.close();
      await store.close();
    });
  });
}

function user(): string {
  return `o_${randomUUID()}`;
}
