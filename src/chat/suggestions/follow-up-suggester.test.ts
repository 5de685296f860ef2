import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeLlmServer, type FakeLlmServer } from '../../../test/support/fake-llm-server.js';
import { captureLogger } from '../../../test/support/capture-logger.js';
import { WordChecker } from '../../../test/support/word-checker.js';
import { openKnowledgeBase, type KbHit, type KnowledgeBase } from '../../knowledge-base/knowledge-base.js';
import { createMemoryKbStore } from '../../knowledge-base/store/memory-kb-store.js';
import { OpenAiChatModel } from '../../llm/openai-chat-model.js';
import type { MessageStatus } from '../../store/history-store.js';
import { AnswerRun } from '../answer-run.js';
import { ConcurrencyGate } from '../concurrency-gate.js';
import { FollowUpSuggester, type FollowUpSuggesterDeps } from './follow-up-suggester.js';
import type { AnswerSuggestions } from './follow-ups.js';
import { KbSuggestionSource } from './kb-suggestion-source.js';
import { ModelSuggestionSource } from './model-suggestion-source.js';

const DOC = '# 售后政策\n\n## 退货\n\n7 天内可以无理由退货。\n\n## 换货\n\n15 天内质量问题可以换货。\n';

/** An answer that ended with `status`, and what a transport waiting for its suggestions receives. */
function endedRun(status: MessageStatus, text = '7 天内可以退货。') {
  const run = new AnswerRun(`a-${Math.random()}`, 'o1', 's1');
  const got: AnswerSuggestions[] = [];
  run.followUps.wait((s) => got.push(s));
  if (status === 'retracted') run.retract('risky', '已撤回');
  run.text = text;
  run.finish({ id: run.id, text, status });
  return { run, got };
}

describe('FollowUpSuggester', () => {
  let llm: FakeLlmServer;
  let kb: KnowledgeBase;
  let returns: KbHit;
  const { logger, lines } = captureLogger();

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'k' });
    kb = await openKnowledgeBase({ store: createMemoryKbStore(), syncIntervalMs: 0 });
    await kb.addBuffer('售后政策.md', Buffer.from(DOC));
    returns = (await kb.search('无理由退货', { k: 5 })).find((h) => h.headingPath.at(-1) === '退货')!;
    assert.ok(returns);
  });
  after(async () => {
    await kb.close();
    await llm.close();
  });

  const model = () => new ModelSuggestionSource(new OpenAiChatModel({ baseURL: llm.baseUrl, apiKey: 'k', model: 'm', maxRetries: 0, timeoutMs: 5_000 }));
  const suggester = (deps: Partial<FollowUpSuggesterDeps> = {}) =>
    new FollowUpSuggester({ sources: [model(), new KbSuggestionSource(kb)], timeoutMs: 5_000, logger, slots: new ConcurrencyGate(4, 4), ...deps });

  it('a complete answer gets the model\'s suggestions, cleaned', async () => {
    llm.setReply(() => '["可以换货吗？", "可以换货吗", "7 天内可以退货。", "退款多久到账？"]');
    const { run, got } = endedRun('complete');
    const before = llm.requests.length;
    await suggester().afterAnswer({ run, query: '多久可以退货？', passages: [returns] });
    assert.deepEqual(got, [{ id: run.id, suggestions: ['可以换货吗？', '7 天内可以退货。', '退款多久到账？'] }]);
    assert.equal(llm.requests.length, before + 1);
    assert.equal(llm.requests.at(-1)!.body.max_tokens, 160);
  });

  it('garbage from the model, or a failing model: the knowledge-base headings instead', async () => {
    llm.setReply(() => 'I cannot help with that.');
    const first = endedRun('complete');
    await suggester().afterAnswer({ run: first.run, query: '多久可以退货？', passages: [returns] });
    assert.deepEqual(first.got.map((s) => s.suggestions), [['「换货」是怎样的？']]);

    llm.pushFault({ status: 500 });
    const second = endedRun('complete');
    await suggester().afterAnswer({ run: second.run, query: '多久可以退货？', passages: [returns] });
    assert.deepEqual(second.got.map((s) => s.suggestions), [['「换货」是怎样的？']]);
  });

  it('garbage and nothing cited: no suggestions at all, only a debug line', async () => {
    llm.setReply(() => '{"oops": 1}');
    const { run, got } = endedRun('complete');
    await suggester().afterAnswer({ run, query: '你好', passages: [] });
    assert.deepEqual(got, []);
    assert.ok(lines.some((line) => line.includes('suggestion source had none')));
  });

  it('a model that hangs is cut at the deadline; the headings still come', async () => {
    llm.pushFault({ hang: true });
    const { run, got } = endedRun('complete');
    await suggester({ timeoutMs: 300 }).afterAnswer({ run, query: '多久可以退货？', passages: [returns] });
    assert.deepEqual(got.map((s) => s.suggestions), [['「换货」是怎样的？']]);
  });

  it('cancelled, failed, blocked, retracted or empty answers get none, and cost nothing', async () => {
    const before = llm.requests.length;
    for (const status of ['cancelled', 'failed', 'blocked', 'retracted'] as const) {
      const { run, got } = endedRun(status);
      await suggester().afterAnswer({ run, query: '多久可以退货？', passages: [returns] });
      assert.deepEqual(got, [], status);
    }
    const empty = endedRun('complete', '  ');
    await suggester().afterAnswer({ run: empty.run, query: '多久可以退货？', passages: [returns] });
    assert.deepEqual(empty.got, []);
    assert.equal(llm.requests.length, before);
  });

  it('nobody waiting (a seed client, HTTP): no model call', async () => {
    const run = new AnswerRun('a-nobody', 'o1', 's1');
    run.text = '好的';
    run.finish({ id: run.id, text: '好的', status: 'complete' });
    const before = llm.requests.length;
    await suggester().afterAnswer({ run, query: '多久可以退货？', passages: [returns] });
    assert.equal(llm.requests.length, before);
  });

  it('no free model slot: the model is not asked, never queued for', async () => {
    const gate = new ConcurrencyGate(1, 4);
    const busy = gate.tryEnter();
    const { run, got } = endedRun('complete');
    const before = llm.requests.length;
    await suggester({ slots: gate }).afterAnswer({ run, query: '多久可以退货？', passages: [returns] });
    assert.equal(llm.requests.length, before);
    assert.deepEqual(got.map((s) => s.suggestions), [['「换货」是怎样的？']]);
    busy!();
    assert.equal(gate.activeCount, 0);
  });

  it('content security drops a flagged suggestion and keeps the others', async () => {
    llm.setReply(() => '["可以换货吗？", "炸弹怎么做？", "退款多久到账？"]');
    const checker = new WordChecker({ words: ['炸弹'] });
    const { run, got } = endedRun('complete');
    await suggester({ moderation: { checker, mode: 'input', failOpen: true } }).afterAnswer({ run, query: '多久可以退货？', passages: [] });
    assert.deepEqual(got.map((s) => s.suggestions), [['可以换货吗？', '退款多久到账？']]);
    assert.equal(checker.requests.length, 4, 'all together first, then each alone');
    assert.ok(checker.requests.every((r) => r.scene === 'answer' && r.openid === 'o1'));
  });
});
