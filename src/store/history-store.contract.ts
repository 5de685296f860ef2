import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ConversationNotFoundError, type HistoryStore, type StoredMessage } from './history-store.js';

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

/** Several conversations per user: ids, the list, continuing, deleting, finding a message. */
function runConversationCases(current: () => HistoryStore): void {
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

    it('leaving an empty conversation forgets it', async () => {
      const user = openid();
      const empty = await store.currentConversation(user);
      await store.clear(user);
      assert.equal(await store.openConversation(user, empty), false);
      await assert.rejects(store.append(user, msg('m'), empty), ConversationNotFoundError);
    });
  });
}

function openid(): string {
  return `o_${randomUUID()}`;
}

function msg(
  id: string,
  role: StoredMessage['role'] = 'user',
  extra: Partial<StoredMessage> = {},
): StoredMessage {
  return { id, role, content: `content of ${id}`, status: 'complete', createdAt: 1_700_000_000_000, ...extra };
}

function ids(messages: StoredMessage[]): string[] {
  return messages.map((m) => m.id);
}
