import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ConversationNotFoundError, type HistoryStore } from './history-store.js';
import { ids, msg, openid } from './history-store-fixtures.js';

/** Several conversations per user: ids, the list, continuing, deleting, finding a message. */
export function runConversationCases(current: () => HistoryStore): void {
  describe('conversations', () => {
    let store: HistoryStore;
    beforeEach(() => {
      store = current();
    });

    it('gives the current conversation a stable id, a new one after clear, and keeps the old one listed', async () => {
      const user = openid();
      const first = await store.currentConversation(user);
      assert.equal(await store.currentConversation(user), first);
      assert.deepEqual((await store.listConversations(user, { limit: 10 })).items, [], 'an empty conversation is not listed');
      await store.append(user, msg('q1', 'user', { createdAt: 1000, content: '第一个问题' }));
      await store.append(user, msg('a1', 'assistant', { createdAt: 1001 }));
      assert.equal(await store.currentConversation(user), first, 'appends went to it');
      await store.clear(user);
      const second = await store.currentConversation(user);
      assert.notEqual(second, first);
      assert.deepEqual((await store.listConversations(user, { limit: 10 })).items, [
        { id: first, title: '第一个问题', createdAt: 1000, updatedAt: 1001, messageCount: 2 },
      ]);
      assert.deepEqual(ids(await store.listRecent(user, 10, first)), ['q1', 'a1'], 'the old one stays readable by id');
    });

    it('conversation ids are unique across users', async () => {
      const [alice, bob] = [openid(), openid()];
      const seen = new Set<string>();
      for (const user of [alice, bob, alice, bob]) {
        await store.append(user, msg(`m_${seen.size}`));
        seen.add(await store.currentConversation(user));
        await store.clear(user);
      }
      assert.equal(seen.size, 4);
    });

    it('lists newest first, pages with a cursor, and skips empty conversations', async () => {
      const user = openid();
      const made: string[] = [];
      for (let i = 0; i < 5; i++) {
        await store.append(user, msg(`q${i}`, 'user', { createdAt: 10_000 + i * 10, content: `问题 ${i}` }));
        made.push(await store.currentConversation(user));
        await store.clear(user);
      }
      await store.currentConversation(user); // the empty current one, never listed
      // appending to an old one moves it to the top
      await store.append(user, msg('late', 'user', { createdAt: 20_000 }), made[1]);
      const one = await store.listConversations(user, { limit: 2 });
      assert.deepEqual(one.items.map((c) => c.id), [made[1], made[4]]);
      assert.ok(one.nextCursor);
      const two = await store.listConversations(user, { limit: 2, before: one.nextCursor });
      assert.deepEqual(two.items.map((c) => c.id), [made[3], made[2]]);
      const three = await store.listConversations(user, { limit: 2, before: two.nextCursor! });
      assert.deepEqual(three.items.map((c) => c.id), [made[0]]);
      assert.equal(three.nextCursor, undefined, 'the last page has no cursor');
      assert.deepEqual(one.items[0], { id: made[1], title: '问题 1', createdAt: 10_010, updatedAt: 20_000, messageCount: 2 });
      const all = await store.listConversations(user, { limit: 100 });
      assert.equal(all.items.length, 5);
      assert.equal(all.nextCursor, undefined, 'exactly a full page is still the last page');
    });

    it('pages through conversations updated in the same millisecond without losing or repeating one', async () => {
      const user = openid();
      const made = new Set<string>();
      for (let i = 0; i < 5; i++) {
        await store.append(user, msg(`t${i}`, 'user', { createdAt: 5_000 }));
        made.add(await store.currentConversation(user));
        await store.clear(user);
      }
      const seen: string[] = [];
      let before: string | undefined;
      do {
        const page: { items: Array<{ id: string }>; nextCursor?: string } = await store.listConversations(user, { limit: 2, before });
        seen.push(...page.items.map((c) => c.id));
        before = page.nextCursor;
      } while (before);
      assert.deepEqual(new Set(seen), made);
      assert.equal(seen.length, 5);
    });

    it('answers a forged or foreign cursor with an empty page', async () => {
      const user = openid();
      await store.append(user, msg('x'));
      for (const before of ['not a cursor!', '', 'AAAA', '%%%', 'x'.repeat(10_000)]) {
        assert.deepEqual(await store.listConversations(user, { limit: 10, before }), { items: [] }, before.slice(0, 20));
      }
    });

    it('titles a conversation with its first question that was not blocked, shortened to 30 characters', async () => {
      const user = openid();
      const long = '这是一个非常长的问题，' + '它'.repeat(40) + '🙂';
      await store.append(user, msg('b', 'user', { status: 'blocked', content: '违规的问题', flagged: { label: 'x' } }));
      await store.append(user, msg('r', 'assistant', { content: '回答不算' }));
      assert.equal((await store.listConversations(user, { limit: 1 })).items[0]?.title, '', 'no title until a question qualifies');
      await store.append(user, msg('q', 'user', { content: `  ${long}\n第二行` }));
      await store.append(user, msg('q2', 'user', { content: '后来的问题' }));
      const [summary] = (await store.listConversations(user, { limit: 1 })).items;
      assert.equal(summary?.title, `${Array.from(long).slice(0, 29).join('')}…`);
      assert.equal(Array.from(summary!.title).length, 30);
      assert.equal(summary?.messageCount, 4);

      await store.clear(user);
      await store.append(user, msg('short', 'user', { content: '多行\n  问题 🙂', createdAt: 1_800_000_000_000 }));
      assert.equal((await store.listConversations(user, { limit: 1 })).items[0]?.title, '多行 问题 🙂', 'whitespace folded');
    });

    it('treats another user\'s conversation id exactly like an unknown one', async () => {
      const [alice, mallory] = [openid(), openid()];
      await store.append(alice, msg('secret', 'user', { content: '隐私' }));
      const hers = await store.currentConversation(alice);
      for (const id of [hers, 'c_unknown', '']) {
        assert.deepEqual(await store.listRecent(mallory, 10, id), []);
        assert.equal(await store.openConversation(mallory, id), false);
        assert.equal(await store.deleteConversation(mallory, id), false);
        await assert.rejects(store.append(mallory, msg('intrude'), id), (error: unknown) => {
          assert.ok(error instanceof ConversationNotFoundError);
          assert.equal(error.conversationId, id);
          return true;
        });
      }
      assert.equal(await store.findMessage(mallory, 'secret'), undefined);
      assert.deepEqual((await store.listConversations(mallory, { limit: 10 })).items, []);
      assert.deepEqual(ids(await store.listRecent(alice, 10, hers)), ['secret'], 'hers untouched');
      assert.equal((await store.listConversations(alice, { limit: 10 })).items[0]?.messageCount, 1);
    });

    it('appends to an earlier conversation by id without changing the current one', async () => {
      const user = openid();
      await store.append(user, msg('old'));
      const old = await store.currentConversation(user);
      await store.clear(user);
      await store.append(user, msg('new'));
      await store.append(user, msg('more-old', 'assistant'), old);
      assert.deepEqual(ids(await store.listRecent(user, 10)), ['new']);
      assert.deepEqual(ids(await store.listRecent(user, 10, old)), ['old', 'more-old']);
      await store.append(user, msg('old', 'user', { content: 'again' }), old);
      assert.deepEqual(ids(await store.listRecent(user, 10, old)), ['old', 'more-old'], 'idempotent within it');
    });

    it('openConversation makes an earlier one current: appends and listRecent default to it', async () => {
      const user = openid();
      await store.append(user, msg('a1'));
      const a = await store.currentConversation(user);
      await store.clear(user);
      await store.append(user, msg('b1'));
      const b = await store.currentConversation(user);
      assert.equal(await store.openConversation(user, a), true);
      assert.equal(await store.currentConversation(user), a);
      await store.append(user, msg('a2', 'assistant'));
      assert.deepEqual(ids(await store.listRecent(user, 10)), ['a1', 'a2']);
      assert.deepEqual(ids(await store.listRecent(user, 10, b)), ['b1']);
      await store.clear(user);
      const c = await store.currentConversation(user);
      assert.ok(c !== a && c !== b, 'clear after open starts a new one, not a used one');
      await store.append(user, msg('c1'));
      assert.deepEqual(ids(await store.listRecent(user, 10)), ['c1']);
      assert.deepEqual(ids(await store.listRecent(user, 10, b)), ['b1'], 'b untouched');
      assert.equal(await store.openConversation(user, c), true, 'opening the current one is fine');
    });

    it('deletes a conversation for good', async () => {
      const user = openid();
      await store.append(user, msg('keep'));
      const kept = await store.currentConversation(user);
      await store.clear(user);
      await store.append(user, msg('gone'));
      await store.append(user, msg('gone-answer', 'assistant'));
      const gone = await store.currentConversation(user);
      await store.clear(user);
      assert.equal(await store.deleteConversation(user, gone), true);
      assert.equal(await store.deleteConversation(user, gone), false, 'a second delete finds nothing');
      assert.deepEqual(await store.listRecent(user, 10, gone), []);
      assert.equal(await store.findMessage(user, 'gone'), undefined);
      assert.equal(await store.openConversation(user, gone), false);
      await assert.rejects(store.append(user, msg('late'), gone), ConversationNotFoundError);
      assert.deepEqual((await store.listConversations(user, { limit: 10 })).items.map((c) => c.id), [kept]);
    });

    it('deleting the current conversation makes the next append start a new one', async () => {
      const user = openid();
      await store.append(user, msg('x1'));
      const doomed = await store.currentConversation(user);
      assert.equal(await store.deleteConversation(user, doomed), true);
      // a store that remembers the current conversation must forget it with the delete
      await assert.rejects(store.append(user, msg('late'), doomed), ConversationNotFoundError);
      assert.deepEqual(await store.listRecent(user, 10), []);
      await store.append(user, msg('x1', 'user', { content: 'same id, new conversation' }));
      const fresh = await store.currentConversation(user);
      assert.notEqual(fresh, doomed);
      assert.deepEqual((await store.listRecent(user, 10)).map((m) => m.content), ['same id, new conversation']);
      const listed = (await store.listConversations(user, { limit: 10 })).items;
      assert.deepEqual(listed.map((c) => [c.id, c.messageCount]), [[fresh, 1]]);
    });

    it('finds a message in any of the user\'s conversations', async () => {
      const user = openid();
      const answer = msg('ans', 'assistant', { model: 'fake', usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 } });
      await store.append(user, msg('q'));
      await store.append(user, answer);
      const first = await store.currentConversation(user);
      await store.clear(user);
      await store.append(user, msg('q-later'));
      assert.deepEqual(await store.findMessage(user, 'ans'), { message: answer, conversationId: first });
      assert.equal((await store.findMessage(user, 'q-later'))?.conversationId, await store.currentConversation(user));
      assert.equal(await store.findMessage(user, 'nope'), undefined);
      assert.equal(await store.findMessage(openid(), 'ans'), undefined);
    });

    it('appends asked for at once by a new user land in one conversation', async () => {
      const user = openid();
      const [, , id] = await Promise.all([
        store.append(user, msg('p1', 'user', { createdAt: 1 })),
        store.append(user, msg('p2', 'assistant', { createdAt: 2 })),
        store.currentConversation(user),
      ]);
      const listed = (await store.listConversations(user, { limit: 10 })).items;
      assert.deepEqual(listed.map((c) => [c.id, c.messageCount]), [[id, 2]]);
      await store.append(user, msg('p3'), id);
      assert.deepEqual(ids(await store.listRecent(user, 10)), ['p1', 'p2', 'p3'], 'the current one, by id or by default');
    });

    it('clamps the page size to 1…100', async () => {
      const user = openid();
      for (let i = 0; i < 3; i++) {
        await store.append(user, msg(`c${i}`, 'user', { createdAt: 100 + i }));
        await store.clear(user);
      }
      const one = await store.listConversations(user, { limit: 0 });
      assert.equal(one.items.length, 1);
      assert.ok(one.nextCursor);
      assert.equal((await store.listConversations(user, { limit: 2.7 })).items.length, 2);
      assert.equal((await store.listConversations(user, { limit: 1e9 })).items.length, 3);
    });

    it('leaving an empty conversation forgets it', async () => {
      const user = openid();
      const empty = await store.currentConversation(user);
      await store.clear(user);
      assert.equal(await store.openConversation(user, empty), false);
      await assert.rejects(store.append(user, msg('m'), empty), ConversationNotFoundError);
    });
  });
}
