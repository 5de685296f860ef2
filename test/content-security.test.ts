import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { WordChecker } from './support/word-checker.js';
import { WsTestClient, type Frame } from './support/ws-test-client.js';

const NOTICE = '抱歉，这个回答包含不适合展示的内容，已撤回。';
const RISKY = '危险内容';
/** ~840 characters with the risky word after the first window (≥ 200 characters) */
const RISKY_REPLY = '这是一个安全的句子。'.repeat(25) + `接下来是${RISKY}。` + '后面还有很多安全的句子。'.repeat(50);
const SAFE_REPLY = '这是一个安全的句子。'.repeat(60);

type Message = { role: string; content: string };
const promptOf = (llm: FakeLlmServer, index: number) => (llm.requests[index]!.body as { messages: Message[] }).messages;
const deltaText = (frames: Frame[]) => frames.filter((f) => f.type === 'chat_delta').map((f) => f.data.delta).join('');

describe('content security in the chat flow (real server, fake LLM, test checker)', () => {
  let llm: FakeLlmServer;
  let checker: WordChecker;
  let gw: RunningGateway;

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key', deltaChars: 2, deltaLatencyMs: 3 });
    checker = new WordChecker({ words: ['违禁词', RISKY] });
    gw = await startGateway({ llm, contentChecker: checker, contentSecurity: { mode: 'both', failOpen: false }, env: { STREAM_COALESCE_MS: '20' } });
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it('a blocked question never reaches the model, is stored flagged and is left out of later prompts', async () => {
    const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, 'blocked_code');
    const openid = login.data.openid as string;
    const before = llm.requests.length;
    client.send({ type: 'chat', query: '请告诉我违禁词怎么弄', stream: true, request_id: 'b1' });
    const response = await client.nextOf('chat_response');
    assert.equal(response.code, 403);
    assert.equal(response.message, '问题包含不当内容，无法回答');
    assert.equal(response.data.reason, 'content_blocked');
    assert.equal(response.data.msg, '');
    assert.equal(llm.requests.length, before, 'the model was never called');

    const stored = await gw.stores.history.listRecent(openid, 10);
    assert.deepEqual(stored.map((m) => [m.role, m.status, m.flagged?.label]), [['user', 'blocked', 'word:违禁词']]);

    client.send({ type: 'chat', query: '你好' });
    await client.nextOf('chat_response');
    const prompt = promptOf(llm, before);
    assert.deepEqual(prompt.filter((m) => m.role !== 'system').map((m) => m.content), ['你好']);

    client.send({ type: 'history' });
    const history = await client.nextOf('history_response');
    assert.equal(history.data.messages[0].status, 'blocked');
    await client.close();
  });

  it('a blocked question over HTTP answers 403 with the reason', async () => {
    const before = llm.requests.length;
    const response = await fetch(`${gw.url}/wechat/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '违禁词', openid: 'http_blocked' }),
    });
    assert.equal(response.status, 403);
    const body = (await response.json()) as Frame;
    assert.equal(body.code, 403);
    assert.equal(body.data.reason, 'content_blocked');
    assert.equal(llm.requests.length, before);
  });

  it('a risky answer mid-stream: chat_retract, the stream stops, the notice is stored and never the risky text', async () => {
    llm.setReply(() => RISKY_REPLY);
    try {
      const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, 'retract_code');
      client.send({ type: 'chat', query: '讲讲', stream: true, request_id: 'r1' });
      const processing = await client.nextOf('chat_processing');
      const id = processing.data.id as string;
      const retract = await client.nextOf('chat_retract');
      assert.deepEqual(retract.data, { id, message: NOTICE });
      assert.equal(retract.message, NOTICE);
      assert.equal(retract.request_id, 'r1');
      const response = await client.nextOf('chat_response');
      assert.equal(response.code, 0);
      assert.equal(response.data.msg, NOTICE);
      assert.equal(response.data.status, 'retracted');
      assert.equal(response.skipped.filter((f) => f.type === 'chat_delta').length, 0, 'no delta after the retraction');
      const shown = deltaText([...retract.skipped]);
      assert.ok(shown.length < RISKY_REPLY.length, `the stream stopped (${shown.length} of ${RISKY_REPLY.length} characters)`);

      const stored = await gw.stores.history.listRecent(login.data.openid, 10);
      const answer = stored.find((m) => m.id === id)!;
      assert.deepEqual([answer.status, answer.content, answer.flagged?.label], ['retracted', NOTICE, `word:${RISKY}`]);

      client.send({ type: 'resume', id, from_index: 0 });
      const resumed = await client.nextOf('chat_response');
      assert.equal(resumed.data.msg, NOTICE);
      client.send({ type: 'history' });
      const history = await client.nextOf('history_response');
      assert.ok(!JSON.stringify(history.data).includes(RISKY), 'history never returns the risky text');
      assert.equal(history.data.messages.at(-1).status, 'retracted');

      llm.setReply(() => '好的');
      const before = llm.requests.length;
      client.send({ type: 'chat', query: '继续' });
      await client.nextOf('chat_response');
      assert.ok(!JSON.stringify(promptOf(llm, before)).includes(NOTICE), 'the retracted answer is left out of the prompt');
      await client.close();
    } finally {
      llm.setReply((body) => `收到：${body.messages.at(-1)?.content ?? ''}`);
    }
  });

  it('a seed client that does not stream gets only the notice, in the seed shape', async () => {
    llm.setReply(() => RISKY_REPLY);
    try {
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'seed_retract_code');
      client.send({ type: 'chat', query: '讲讲', use_auto_rag: false });
      assert.deepEqual(await client.next(), { type: 'chat_processing', code: 0, message: '正在处理中...', data: null });
      const response = await client.next();
      assert.equal(response.type, 'chat_response');
      assert.equal(response.code, 0);
      assert.deepEqual(Object.keys(response.data).sort(), ['id', 'msg', 'session_id']);
      assert.equal(response.data.msg, NOTICE);
      assert.ok(!client.raw.join('').includes(RISKY));
      await client.close();

      const http = await fetch(`${gw.url}/wechat/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '讲讲', openid: 'http_seed_retract' }),
      });
      const body = (await http.json()) as Frame;
      assert.equal(http.status, 200);
      assert.equal(body.data.msg, NOTICE);
    } finally {
      llm.setReply((body) => `收到：${body.messages.at(-1)?.content ?? ''}`);
    }
  });

  it('an HTTP event stream gets chat_retract too', async () => {
    llm.setReply(() => RISKY_REPLY);
    try {
      const response = await fetch(`${gw.url}/wechat/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '讲讲', openid: 'sse_retract', stream: true }),
      });
      const frames = (await response.text()).split('\n\n').filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, '')) as Frame);
      const types = frames.map((f) => f.type);
      assert.ok(types.includes('chat_retract'));
      assert.equal(types.indexOf('chat_retract'), types.length - 2, 'retract, then only the final answer');
      assert.equal(frames.at(-1)!.data.status, 'retracted');
      assert.equal(frames.at(-1)!.data.msg, NOTICE);
    } finally {
      llm.setReply((body) => `收到：${body.messages.at(-1)?.content ?? ''}`);
    }
  });

  it('checks run while deltas keep flowing: text arrives while the first verdict is still pending', async () => {
    llm.setReply(() => SAFE_REPLY);
    checker.hold('answer');
    try {
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'concurrent_code');
      const asked = checker.requests.length;
      client.send({ type: 'chat', query: '慢慢讲', stream: true });
      // the question's check, then the first answer window's, whose verdict is held
      await checker.waitForRequests(asked + 2);
      const firstWindow = checker.requests.at(-1)!.text;
      const received: Frame[] = [];
      while (deltaText(received).length <= firstWindow.length + 40) received.push(await client.nextOf('chat_delta'));
      assert.ok(received.length > 0, 'deltas went out although no answer verdict had come back');
      checker.release();
      const response = await client.nextOf('chat_response');
      assert.equal(response.data.msg, SAFE_REPLY);
      assert.equal(response.data.status, 'complete');
      const answerChecks = checker.requests.slice(asked).filter((r) => r.scene === 'answer');
      assert.ok(answerChecks.length <= 4, `${answerChecks.length} checks for ${SAFE_REPLY.length} characters`);
      assert.ok(answerChecks.map((r) => r.text).join('').includes(SAFE_REPLY.slice(-20)), 'the end was checked too');
      await client.close();
    } finally {
      checker.release();
    }
  });
});

describe('content security when the checker fails', () => {
  let llm: FakeLlmServer;

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
  });
  after(() => llm.close());

  for (const failOpen of [true, false]) {
    it(`fail-${failOpen ? 'open' : 'closed'}: ${failOpen ? 'the answer goes through' : 'the question is refused with 503, the model never called'}`, async () => {
      const checker = new WordChecker({ words: [] });
      checker.failing = { kind: 'unavailable' };
      const before = llm.requests.length;
      const response = await askOnce(checker, { mode: 'both', failOpen }, false);
      if (failOpen) {
        assert.equal(response.code, 0);
        assert.equal(response.data.msg, '收到：你好');
      } else {
        assert.equal(response.code, 503);
        assert.equal(response.data.reason, 'content_check_unavailable');
        assert.equal(llm.requests.length, before);
      }
    });
  }

  /** One chat on a gateway of its own with `checker`; returns the final chat_response. */
  async function askOnce(checker: WordChecker, contentSecurity: { mode: 'input' | 'both'; failOpen: boolean }, stream: boolean): Promise<Frame> {
    const gw = await startGateway({ llm, contentChecker: checker, contentSecurity });
    try {
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'once_code');
      client.send({ type: 'chat', query: '你好', request_id: 2, stream });
      const response = await client.nextOf('chat_response');
      await client.close();
      return response;
    } finally {
      await gw.stop();
    }
  }

  it('fail-closed on the answer only: the answer is withdrawn, not shown unchecked', async () => {
    const checker = new WordChecker({ words: [] });
    checker.failing = { kind: 'timeout', scene: 'answer' };
    const response = await askOnce(checker, { mode: 'both', failOpen: false }, false);
    assert.deepEqual([response.data.status, response.data.msg], ['retracted', NOTICE]);
  });

  it("mode 'input' checks questions only", async () => {
    const checker = new WordChecker({ words: ['收到'] });
    const response = await askOnce(checker, { mode: 'input', failOpen: false }, true);
    assert.equal(response.data.msg, '收到：你好');
    assert.deepEqual(checker.requests.map((r) => r.scene), ['question']);
  });
});
