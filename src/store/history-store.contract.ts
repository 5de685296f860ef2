import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { HistoryStore, StoredMessage } from './history-store.js';
import { runConversationCases } from './history-store-conversations.contract.js';
import { ids, msg, openid } from './history-store-fixtures.js';

export interface HistoryStoreFixture {
  store: HistoryStore;
  /** Removes what the test wrote and releases the backend; runs after every test. */
  cleanup(): Promise<void>;
}

/**
 * The behaviour every HistoryStore driver must show, run against its real backend
 * (Keyv-style). A driver's test file calls it once; `make` gives each test a fresh store.
 *
 * @example
 * runHistoryStoreContract('sqlite', async () => {
 *   const stores = createSqliteStores(tempFile());
 *   return { store: stores.history, cleanup: () => stores.close() };
 * });
 */
export function runHistoryStoreContract(
  name: string,
  make: () => Promise<HistoryStoreFixture>,
): void {
  describe(`HistoryStore contract: ${name}`, () => {
    let fixture: HistoryStoreFixture;
    let store: HistoryStore;
    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
    });
    afterEach(() => fixture.cleanup());

    it('lists the most recent messages oldest first, up to the limit', async () => {
      const user = openid();
      const sent = [1, 2, 3, 4, 5].map((n) => msg(`m${n}`, n % 2 ? 'user' : 'assistant'));
      for (const m of sent) await store.append(user, m);
      assert.deepEqual(await store.listRecent(user, 10), sent);
      assert.deepEqual(await store.listRecent(user, 3), sent.slice(2));
      assert.deepEqual(await store.listRecent(user, 0), []);
    });

    it('keeps append order even when createdAt ties or goes backwards', async () => {
      const user = openid();
      const sent = [
        msg('b', 'user', { createdAt: 5 }),
        msg('a', 'assistant', { createdAt: 5 }),
        msg('c', 'user', { createdAt: 1 }),
      ];
      for (const m of sent) await store.append(user, m);
      assert.deepEqual(await store.listRecent(user, 10), sent);
    });

    it('returns nothing for an unknown user', async () => {
      assert.deepEqual(await store.listRecent(openid(), 10), []);
    });

    it('keeps users apart', async () => {
      const [alice, bob] = [openid(), openid()];
      await store.append(alice, msg('a1'));
      await store.append(bob, msg('b1'));
      await store.clear(bob);
      assert.deepEqual(ids(await store.listRecent(alice, 10)), ['a1']);
      assert.deepEqual(await store.listRecent(bob, 10), []);
    });

    it('clear starts a new empty conversation that later appends go to', async () => {
      const user = openid();
      await store.append(user, msg('old1'));
      await store.append(user, msg('old2', 'assistant'));
      await store.clear(user);
      assert.deepEqual(await store.listRecent(user, 10), []);
      await store.append(user, msg('new1'));
      assert.deepEqual(ids(await store.listRecent(user, 10)), ['new1']);
      await store.clear(user);
      await store.clear(user);
      assert.deepEqual(await store.listRecent(user, 10), []);
    });

    it('clear on a user with no history is harmless', async () => {
      const user = openid();
      await store.clear(user);
      await store.append(user, msg('x'));
      assert.deepEqual(ids(await store.listRecent(user, 10)), ['x']);
    });

    it('append resolves with the conversation it went to: the current one (created when none), or the one named', async () => {
      const user = openid();
      const first = await store.append(user, msg('q1'));
      assert.equal(first, await store.currentConversation(user));
      assert.equal(await store.append(user, msg('a1', 'assistant'), first), first);
      assert.equal(await store.append(user, msg('q1')), first, 'a repeated id is in the same conversation');
      await store.clear(user);
      const second = await store.append(user, msg('q2'));
      assert.notEqual(second, first);
      assert.equal(await store.append(user, msg('late', 'assistant'), first), first, 'an earlier conversation by id');
      assert.deepEqual(ids(await store.listRecent(user, 10, first)), ['q1', 'a1', 'late']);
      assert.deepEqual(ids(await store.listRecent(user, 10)), ['q2']);
    });

    it('openCurrent: the current conversation (created when none, as currentConversation) and its last messages', async () => {
      const user = openid();
      const empty = await store.openCurrent(user, 10);
      assert.deepEqual(empty.recent, []);
      assert.equal(empty.conversationId, await store.currentConversation(user), 'the one it created is the current one');
      for (const id of ['q1', 'a1', 'q2']) await store.append(user, msg(id));
      const opened = await store.openCurrent(user, 2);
      assert.equal(opened.conversationId, empty.conversationId);
      assert.deepEqual(ids(opened.recent), ['a1', 'q2']);
      assert.deepEqual((await store.openCurrent(user, 0)).recent, [], 'a limit of 0 reads none');
      await store.clear(user);
      const next = await store.openCurrent(user, 10);
      assert.notEqual(next.conversationId, opened.conversationId);
      assert.deepEqual(next.recent, []);
    });

    it('ignores a second append of the same message id', async () => {
      const user = openid();
      await store.append(user, msg('dup', 'user', { content: 'first' }));
      await store.append(user, msg('other'));
      await store.append(user, msg('dup', 'user', { content: 'second' }));
      const listed = await store.listRecent(user, 10);
      assert.deepEqual(ids(listed), ['dup', 'other']);
      assert.equal(listed[0]?.content, 'first');
    });

    it('round-trips status, usage, model and sources', async () => {
      const user = openid();
      const sent: StoredMessage[] = [
        msg('q'),
        msg('a', 'assistant', {
          status: 'cancelled',
          usage: { promptTokens: 12, completionTokens: 34, totalTokens: 46 },
          model: 'openai-compatible:deepseek-chat',
          sources: [
            { title: '手册', source: '手册.md', snippet: '第一段……', score: 0.5 },
            { title: '常见问题', source: 'faq.md', snippet: '', score: 0.25 },
          ],
        }),
        msg('o', 'assistant', { sources: [{ title: '离线', source: 'x.md', snippet: 's', score: 1 }] }),
        msg('f', 'assistant', { status: 'failed', content: 'partial' }),
      ];
      for (const m of sent) await store.append(user, m);
      assert.deepEqual(await store.listRecent(user, 10), sent);
    });

    it('round-trips a blocked question and a retracted answer with their flag', async () => {
      const user = openid();
      const sent: StoredMessage[] = [
        msg('ok'),
        msg('bad', 'user', { status: 'blocked', flagged: { label: 'keyword:赌博' } }),
        msg('q2'),
        msg('r', 'assistant', { status: 'retracted', content: '已撤回', flagged: { label: 'risky' }, model: 'fake' }),
      ];
      for (const m of sent) await store.append(user, m);
      assert.deepEqual(await store.listRecent(user, 10), sent);
    });

    it('keeps Chinese, emoji and control characters intact', async () => {
      const user = openid();
      const content = '你好，世界！🤖👨‍👩‍👧 «ÆØÅ» 𠮷 "quotes" \\ back\nnew\tline \u0000 end';
      await store.append(user, msg('zh', 'user', { content }));
      assert.equal((await store.listRecent(user, 1))[0]?.content, content);
    });

    it('stores 100 KB of content', async () => {
      const user = openid();
      const content = '长文本🙂'.repeat(10_000) + 'x'.repeat(60_000);
      await store.append(user, msg('big', 'assistant', { content }));
      assert.equal((await store.listRecent(user, 1))[0]?.content, content);
    });

    it('round-trips the attachments of a question', async () => {
      const user = openid();
      const sent: StoredMessage[] = [
        msg('q', 'user', { attachments: [{ kind: 'image', uploadId: 'u_1' }, { kind: 'audio', uploadId: 'u_2' }] }),
        msg('a', 'assistant'),
      ];
      for (const m of sent) await store.append(user, m);
      assert.deepEqual(await store.listRecent(user, 10), sent);
      assert.deepEqual((await store.findMessage(user, 'q'))?.message, sent[0]);
    });

    runConversationCases(() => store);

    it('answers ping and tolerates close twice', async () => {
      await store.ping();
      await store.close();
      await store.close();
    });
  });
}
