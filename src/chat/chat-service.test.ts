import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { ChatModel, StreamPart } from '../llm/chat-model.js';
import { createSqliteStores } from '../store/sqlite/create-sqlite-stores.js';
import type { HistoryStore } from '../store/history-store.js';
import { ChatService } from './chat-service.js';
import { ConcurrencyGate } from './concurrency-gate.js';
import { toAppError } from '../protocol/to-app-error.js';

const contents = (messages: Array<{ content: string }>) => messages.map((m) => m.content);

/** A model that answers "ok" after `delayMs`, honouring the abort signal. */
const slowModel = (delayMs: number): ChatModel => ({
  name: 'slow',
  async *stream({ signal }): AsyncIterable<StreamPart> {
    await sleep(delayMs, undefined, { signal });
    yield { type: 'text-delta', text: 'ok' };
    yield { type: 'finish', reason: 'stop' };
  },
});

/** The real store with some methods replaced (a class instance does not spread: its methods are bound here). */
function withOverrides(store: HistoryStore, overrides: Partial<HistoryStore>): HistoryStore {
  const bound = {} as Record<string, unknown>;
  for (const name of ['append', 'listRecent', 'openCurrent', 'clear', 'currentConversation', 'openConversation', 'listConversations', 'deleteConversation', 'findMessage', 'ping', 'close'] as const) {
    bound[name] = store[name].bind(store);
  }
  return { ...(bound as unknown as HistoryStore), ...overrides };
}

describe('ChatService', () => {
  it('a run that fails while queued hands its slot back when it is granted later', async () => {
    const stores = createSqliteStores(':memory:');
    // the real store, except that this one user's writes fail (a disk or Redis failure)
    const history = withOverrides(stores.history, {
      append: (openid, message, conversationId) =>
        openid === 'broken' ? Promise.reject(new Error('disk full')) : stores.history.append(openid, message, conversationId),
    });
    const gate = new ConcurrencyGate(1, 5);
    const chat = new ChatService({
      history,
      model: slowModel(50),
      gate,
      logger: pino({ level: 'silent' }),
      options: {
        systemPrompt: '',
        historyTurns: 5,
        maxQueryChars: 100,
        streamCoalesceMs: 0,
        queueTimeoutMs: 5_000,
        rag: { topK: 3, minRelevance: 0.3 },
      },
    });
    const first = (await chat.start({ openid: 'ok', ownerKey: 'a' }, { query: '一', useAutoRag: false })).run;
    // the question could not be stored: nothing is acknowledged, the start itself fails
    await assert.rejects(chat.start({ openid: 'broken', ownerKey: 'b' }, { query: '二', useAutoRag: false }), (error: unknown) => toAppError(error).reason === 'store_unavailable');
    assert.equal((await first.done).status, 'complete');
    for (let i = 0; i < 20 && gate.activeCount > 0; i++) await sleep(5);
    assert.deepEqual([gate.activeCount, gate.queuedCount], [0, 0], 'no slot leaked');
    const third = (await chat.start({ openid: 'ok', ownerKey: 'c' }, { query: '三', useAutoRag: false })).run;
    assert.equal((await third.done).text, 'ok');
    await stores.close();
  });
  it('a chat that names no conversation starts with one store call; when it fails nothing is stored or asked, and the slot goes back', async () => {
    const stores = createSqliteStores(':memory:');
    const calls: string[] = [];
    let failing = true;
    const counted = (name: string) => calls.push(name);
    const history = withOverrides(stores.history, {
      openCurrent: (openid, limit) => (counted('openCurrent'), failing ? Promise.reject(new Error('Redis gone')) : stores.history.openCurrent(openid, limit)),
      currentConversation: (openid) => (counted('currentConversation'), stores.history.currentConversation(openid)),
      listRecent: (openid, limit, id) => (counted('listRecent'), stores.history.listRecent(openid, limit, id)),
      append: (openid, message, id) => (counted(`append ${message.role}${id === undefined ? '' : ' (named)'}`), stores.history.append(openid, message, id)),
    });
    let asked = 0;
    const model: ChatModel = {
      name: 'counting',
      async *stream(): AsyncIterable<StreamPart> {
        asked++;
        yield { type: 'text-delta', text: '好' };
        yield { type: 'finish', reason: 'stop' };
      },
    };
    const gate = new ConcurrencyGate(1, 5);
    const options = { systemPrompt: '', historyTurns: 5, maxQueryChars: 100, streamCoalesceMs: 0, queueTimeoutMs: 5_000, rag: { topK: 3, minRelevance: 0.3 } };
    const chat = new ChatService({ history, model, gate, logger: pino({ level: 'silent' }), options });
    await assert.rejects(chat.start({ openid: 'o_1', ownerKey: 's' }, { query: '一', useAutoRag: false }), (error: unknown) => toAppError(error).reason === 'store_unavailable');
    for (let i = 0; i < 20 && gate.activeCount > 0; i++) await sleep(5);
    assert.equal(gate.activeCount, 0, 'the model slot was returned');
    assert.deepEqual(calls, ['openCurrent'], 'no question stored without a conversation');
    assert.equal(asked, 0, 'and none asked');

    failing = false;
    calls.length = 0;
    const { run } = await chat.start({ openid: 'o_1', ownerKey: 's' }, { query: '二', useAutoRag: false });
    const done = await run.done;
    assert.equal(done.status, 'complete');
    assert.equal(done.conversationId, await stores.history.currentConversation('o_1'));
    assert.deepEqual(calls, ['openCurrent', 'append user (named)', 'append assistant (named)'], 'conversation and history in one call');
    assert.deepEqual(contents(await stores.history.listRecent('o_1', 10)), ['二', '好']);

    // offline: the question's append decides the conversation
    calls.length = 0;
    const offline = new ChatService({ history, gate, logger: pino({ level: 'silent' }), options });
    const answered = await (await offline.start({ openid: 'o_2', ownerKey: 't' }, { query: '三', useAutoRag: false })).run.done;
    assert.deepEqual(calls, ['append user', 'append assistant (named)']);
    assert.equal(answered.conversationId, await stores.history.currentConversation('o_2'));
    await stores.close();
  });

  it('the model request goes out while the question is being stored; no text reaches the run before it is, and none at all when it is not', async () => {
    const stores = createSqliteStores(':memory:');
    const releases: Array<(ok: boolean) => void> = [];
    const history = withOverrides(stores.history, {
      // each question's write waits until the test says whether it worked (a slow disk, a Redis round trip)
      append: async (openid, message, conversationId) => {
        if (message.role === 'user' && !(await new Promise<boolean>((resolve) => releases.push(resolve)))) throw new Error('disk full');
        return stores.history.append(openid, message, conversationId);
      },
    });
    const asked: string[][] = [];
    let closed = 0;
    const model: ChatModel = {
      name: 'instant',
      async *stream({ messages }): AsyncIterable<StreamPart> {
        asked.push(messages.map((m) => m.content as string));
        try {
          yield { type: 'text-delta', text: '答' };
          yield { type: 'finish', reason: 'stop' };
        } finally {
          closed++; // read to the end, or closed by the reader (the request is cut)
        }
      },
    };
    const chat = new ChatService({
      history,
      model,
      gate: new ConcurrencyGate(2, 5),
      logger: pino({ level: 'silent' }),
      options: { systemPrompt: '', historyTurns: 5, maxQueryChars: 100, streamCoalesceMs: 0, queueTimeoutMs: 5_000, rag: { topK: 3, minRelevance: 0.3 } },
    });
    const starting = chat.start({ openid: 'o_1', ownerKey: 's' }, { query: '第一问', useAutoRag: false });
    for (let i = 0; i < 100 && asked.length === 0; i++) await sleep(2);
    assert.deepEqual(asked, [['第一问']], 'the model has the question before its write finished');
    const first = await Promise.race([starting.then(() => 'acknowledged'), sleep(20).then(() => 'waiting')]);
    assert.equal(first, 'waiting', 'not acknowledged before the question is stored');
    releases.shift()!(true);
    const { run } = await starting;
    const done = await run.done;
    assert.deepEqual([done.status, done.text, run.deltas], ['complete', '答', ['答']]);
    assert.deepEqual((await stores.history.listRecent('o_1', 10)).map((m) => m.content), ['第一问', '答'], 'question, then answer');

    // the next question's write fails: the model's text never reaches the run, nothing more is stored
    const second = chat.start({ openid: 'o_1', ownerKey: 's' }, { query: '第二问', useAutoRag: false });
    for (let i = 0; i < 100 && asked.length < 2; i++) await sleep(2);
    assert.deepEqual(asked[1], ['第一问', '答', '第二问'], 'the prompt is the conversation so far plus the question');
    const active = chat.activeRun('s')!;
    releases.shift()!(false);
    await assert.rejects(second, (error: unknown) => toAppError(error).reason === 'store_unavailable');
    const ended = await active.done;
    assert.equal(ended.status, 'failed');
    assert.deepEqual([ended.text, active.deltas], ['', []], 'no text for a question that was not stored');
    assert.equal(closed, 2, 'the model call was closed');
    assert.deepEqual((await stores.history.listRecent('o_1', 10)).map((m) => m.content), ['第一问', '答']);
    await stores.close();
  });

  it('start() resolves only once the question is stored: an acknowledged question is never lost', async () => {
    const stores = createSqliteStores(':memory:');
    let releaseWrite!: () => void;
    const held = new Promise<void>((resolve) => (releaseWrite = resolve));
    const history = withOverrides(stores.history, {
      // the question's write takes as long as the disk (or Redis) does
      append: async (openid, message, conversationId) => {
        if (message.role === 'user') await held;
        return stores.history.append(openid, message, conversationId);
      },
    });
    const chat = new ChatService({
      history,
      gate: new ConcurrencyGate(1, 5),
      logger: pino({ level: 'silent' }),
      options: { systemPrompt: '', historyTurns: 5, maxQueryChars: 100, streamCoalesceMs: 0, queueTimeoutMs: 5_000, rag: { topK: 3, minRelevance: 0.3 } },
    });
    let started = false;
    const starting = chat.start({ openid: 'o_1', ownerKey: 's' }, { query: '存下来了吗', useAutoRag: false }).then((run) => {
      started = true;
      return run;
    });
    await sleep(20);
    assert.equal(started, false, 'not acknowledged while the question is not stored');
    releaseWrite();
    const { run } = await starting;
    assert.deepEqual((await stores.history.listRecent('o_1', 1)).map((m) => m.content), ['存下来了吗'], 'stored when start() resolved');
    assert.equal((await run.done).status, 'complete');
    await stores.close();
  });
});

describe('ChatService: idempotent request_id (memory registry)', () => {
  const make = (gate: ConcurrencyGate, model: ChatModel) => {
    const stores = createSqliteStores(':memory:');
    const chat = new ChatService({
      history: stores.history,
      model,
      gate,
      logger: pino({ level: 'silent' }),
      options: { systemPrompt: '', historyTurns: 5, maxQueryChars: 100, streamCoalesceMs: 0, queueTimeoutMs: 5_000, rag: { topK: 3, minRelevance: 0.3 } },
    });
    return { chat, stores };
  };

  it('a retry joins the answer; a refusal for a full line is not remembered', async () => {
    let calls = 0;
    const counting: ChatModel = {
      name: 'counting',
      async *stream() {
        calls += 1;
        yield { type: 'text-delta', text: '答' };
        yield { type: 'finish', reason: 'stop' };
      },
    };
    const gate = new ConcurrencyGate(1, 0);
    const { chat, stores } = make(gate, counting);
    const asker = { openid: 'o', ownerKey: 's' };
    const first = await chat.start(asker, { query: '问', useAutoRag: false }, 'r1');
    const retry = await chat.start(asker, { query: '问', useAutoRag: false }, 'r1');
    assert.deepEqual([first.joined, retry.joined, retry.run], [false, true, first.run]);
    await assert.rejects(chat.start(asker, { query: '问', useAutoRag: false }), { reason: 'chat_in_progress' });
    // another session while the only slot is taken and the line is 0 long: 503, forgotten
    await assert.rejects(chat.start({ openid: 'p', ownerKey: 't' }, { query: '问', useAutoRag: false }, 'r9'), { reason: 'server_busy' });
    assert.equal((await first.run.done).text, '答');
    const late = await chat.start(asker, { query: '问', useAutoRag: false }, 'r1');
    assert.deepEqual([late.joined, (await late.run.done).id], [true, first.run.id]);
    const fresh = await chat.start({ openid: 'p', ownerKey: 't' }, { query: '问', useAutoRag: false }, 'r9');
    assert.equal(fresh.joined, false, 'the 503 left no trace');
    await fresh.run.done;
    assert.equal(calls, 2);
    await stores.close();
  });
});
