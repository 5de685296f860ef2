import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openKnowledgeBase, type KbHit, type KnowledgeBase } from '../../knowledge-base/knowledge-base.js';
import { createMemoryKbStore } from '../../knowledge-base/store/memory-kb-store.js';
import { headingQuestion, KbSuggestionSource } from './kb-suggestion-source.js';
import type { CitedPassage } from './suggestion-source.js';

const POLICY = `# 售后政策

## 退货

自签收之日起 7 天内，商品未使用且包装完好的，可以申请无理由退货。

## 换货

签收 15 天内出现质量问题可以换货，换货运费由商家承担。

## 退款到账时间

退款在审核通过后 3 个工作日内原路退回。

## 发票

电子发票在订单完成后开具。
`;

const cite = (hit: KbHit): CitedPassage => ({ chunkId: hit.chunkId, docId: hit.docId, title: hit.title, headingPath: hit.headingPath });

describe('KbSuggestionSource', () => {
  let kb: KnowledgeBase;
  before(async () => {
    kb = await openKnowledgeBase({ store: createMemoryKbStore(), syncIntervalMs: 0 });
    await kb.addBuffer('售后政策.md', Buffer.from(POLICY));
  });
  after(() => kb.close());

  const hitFor = async (query: string, heading: string) => {
    const hit = (await kb.search(query, { k: 10 })).find((h) => h.headingPath.at(-1) === heading);
    assert.ok(hit, `a passage under ${heading}`);
    return hit;
  };

  it('turns the headings after, then before, the cited passage into questions', async () => {
    const hit = await hitFor('换货 质量问题', '换货');
    const out = await new KbSuggestionSource(kb).suggest({ question: '质量问题能换货吗？', answer: '可以。', cited: [cite(hit)] });
    assert.deepEqual(out, ['「退款到账时间」是怎样的？', '「发票」是怎样的？', '「退货」是怎样的？']);
  });

  it('is deterministic and skips sections the answer already quoted', async () => {
    const returns = await hitFor('无理由退货 7 天', '退货');
    const exchange = await hitFor('换货 质量问题', '换货');
    const source = new KbSuggestionSource(kb);
    const request = { question: '退货和换货的区别？', answer: '……', cited: [cite(returns), cite(exchange)] };
    const first = await source.suggest(request);
    assert.deepEqual(first, ['「退款到账时间」是怎样的？', '「发票」是怎样的？']);
    assert.deepEqual(await source.suggest(request), first);
  });

  it('nothing cited, or a passage no longer in the knowledge base: none', async () => {
    const source = new KbSuggestionSource(kb);
    assert.deepEqual(await source.suggest({ question: '你好', answer: '你好！', cited: [] }), []);
    const gone = { chunkId: 'nope', docId: 'nope', title: 'x', headingPath: ['退货'] };
    assert.deepEqual(await source.suggest({ question: '你好', answer: '你好！', cited: [gone] }), []);
  });

  it('nearby lists a passage\'s neighbours in document order, with offsets', async () => {
    const hit = await hitFor('换货 质量问题', '换货');
    const around = kb.nearby(hit.docId, hit.chunkId, 1);
    assert.deepEqual(
      around.map((n) => [n.offset, n.headingPath.at(-1)]),
      [
        [-1, '退货'],
        [1, '退款到账时间'],
      ],
    );
    assert.ok(around.every((n) => n.title === '售后政策'));
  });
});

describe('headingQuestion', () => {
  it('asks about a topic, keeps a question, helps with a problem', () => {
    assert.equal(headingQuestion('3.2 退货流程'), '「退货流程」是怎样的？');
    assert.equal(headingQuestion('一、退货流程'), '「退货流程」是怎样的？');
    assert.equal(headingQuestion('为什么要调大 proxy_read_timeout'), '为什么要调大 proxy_read_timeout？');
    assert.equal(headingQuestion('怎样让助手回答我们自己的业务问题'), '怎样让助手回答我们自己的业务问题？');
    assert.equal(headingQuestion('退款多久到账？'), '退款多久到账？');
    assert.equal(headingQuestion('连接过一会儿就断开'), '连接过一会儿就断开怎么办？');
    assert.equal(headingQuestion('登录报错 40029（invalid code）'), '登录报错 40029（invalid code）怎么办？');
  });

  it('too long as a question: the heading alone', () => {
    const heading = '真机上连接失败，提示 url not in domain list';
    assert.equal(headingQuestion(heading), heading);
  });
});
