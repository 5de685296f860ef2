import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createSqliteStores } from '../store/sqlite/create-sqlite-stores.js';
import type { StoredMessage } from '../store/history-store.js';
import { questionIdOf } from './question-id.js';
import { conversationFor, storeAnswer, storeLostAnswer, storeQuestion } from './store-turns.js';

const question = (answerId: string, content: string): StoredMessage => ({ id: questionIdOf(answerId), role: 'user', content, status: 'complete', createdAt: Date.now() });

describe('store-turns: writes that follow a run\'s conversation', () => {
  it('a lost answer is stored beside its question, even after a clear; not at all once that conversation is deleted', async () => {
    const { history, close } = createSqliteStores(':memory:');
    try {
      const asked = await conversationFor(history, 'o1', undefined);
      await storeQuestion(history, 'o1', question('a1', '问到一半'), asked);
      await history.clear('o1');
      await storeLostAnswer(history, { id: 'a1', openid: 'o1', text: '答到一半' });
      assert.deepEqual((await history.listRecent('o1', 10, asked)).map((m) => [m.role, m.content, m.status]), [
        ['user', '问到一半', 'complete'],
        ['assistant', '答到一半', 'failed'],
      ]);
      assert.deepEqual(await history.listRecent('o1', 10), [], 'not in the new current conversation');

      const doomed = await conversationFor(history, 'o1', undefined);
      await storeQuestion(history, 'o1', question('a2', '会被删掉'), doomed);
      assert.equal(await history.deleteConversation('o1', doomed), true);
      await storeLostAnswer(history, { id: 'a2', openid: 'o1', text: '无处可存' });
      assert.equal(await history.findMessage('o1', 'a2'), undefined);
      assert.deepEqual((await history.listConversations('o1', { limit: 10 })).items.map((c) => c.id), [asked]);
    } finally {
      await close();
    }
  });

  it('another user\'s or a deleted conversation: conversation_not_found for a question, a quiet skip for an answer', async () => {
    const { history, close } = createSqliteStores(':memory:');
    try {
      const theirs = await conversationFor(history, 'owner', undefined);
      await storeQuestion(history, 'owner', question('x', '别人的'), theirs);
      await assert.rejects(conversationFor(history, 'stranger', theirs), { reason: 'conversation_not_found' });
      await assert.rejects(storeQuestion(history, 'stranger', question('y', '闯入'), theirs), { reason: 'conversation_not_found' });
      const lines: string[] = [];
      const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
      await storeAnswer(history, 'stranger', { id: 'y', role: 'assistant', content: '不该存', status: 'complete', createdAt: Date.now() }, theirs, log);
      assert.deepEqual((await history.listRecent('owner', 10, theirs)).map((m) => m.content), ['别人的']);
      assert.match(lines.join(''), /conversation deleted while answering/);
    } finally {
      await close();
    }
  });
});
