import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createWxEnvironment } from './support/wx-shim.js';

/** Markdown → rich-text nodes (miniprogram/lib/markdown-nodes.js), loaded as a phone would. */
const env = createWxEnvironment({ root: join(import.meta.dirname, '..', 'miniprogram') });
const { toNodes } = env.require('lib/markdown-nodes.js') as { toNodes: (md: string, o?: { table?: 'table' | 'text' }) => RichNode[] };

interface RichNode {
  type?: 'text';
  text?: string;
  name?: string;
  attrs?: Record<string, string>;
  children?: RichNode[];
}

/** rich-text's trusted tags that the converter may emit, and the attributes it may set */
const TRUSTED = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'strong', 'em', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'div', 'span', 'a']);
const ATTRS = new Set(['class', 'style', 'start']);

/**
 * Serialises nodes the way rich-text reads them: text nodes are HTML (entities decoded on
 * display), so they are copied verbatim. Styles are left out to keep expectations readable;
 * `align` shows a cell's text-align.
 */
function html(nodes: RichNode[]): string {
  return nodes
    .map((n) => {
      if (n.type === 'text') return n.text;
      const extra = [
        n.attrs?.start ? ` start="${n.attrs.start}"` : '',
        /language-/.test(n.attrs?.class ?? '') ? ` lang="${/language-(\S+)/.exec(n.attrs!.class!)![1]}"` : '',
        /text-align:(\w+)/.test(n.attrs?.style ?? '') ? ` align="${/text-align:(\w+)/.exec(n.attrs!.style!)![1]}"` : '',
      ].join('');
      return n.name === 'br' || n.name === 'hr' ? `<${n.name}>` : `<${n.name}${extra}>${html(n.children ?? [])}</${n.name}>`;
    })
    .join('');
}

function assertTrusted(nodes: RichNode[]): void {
  for (const n of nodes) {
    if (n.type === 'text') {
      assert.equal(typeof n.text, 'string');
      assert.doesNotMatch(n.text!, /[<>"']|&(?!(amp|lt|gt|quot|#39);)/, `unescaped text: ${n.text}`);
      continue;
    }
    assert.ok(TRUSTED.has(n.name!), `untrusted tag ${n.name}`);
    for (const key of Object.keys(n.attrs ?? {})) assert.ok(ATTRS.has(key), `attribute ${key} on ${n.name}`);
    assertTrusted(n.children ?? []);
  }
}

const md = (text: string, options?: { table?: 'table' | 'text' }) => {
  const nodes = toNodes(text, options);
  assertTrusted(nodes);
  return html(nodes);
};

describe('Markdown → rich-text nodes', () => {
  it('headings, paragraphs, and single newlines as line breaks (chat style)', () => {
    assert.equal(md('# 标题\n## 二级 ##\n正文第一行\n第二行\n\n另一段'), '<h1>标题</h1><h2>二级</h2><p>正文第一行<br>第二行</p><p>另一段</p>');
    assert.equal(md('#不是标题'), '<p>#不是标题</p>');
    assert.equal(md(''), '');
  });

  it('emphasis, strike and inline code; snake_case and arithmetic stay plain', () => {
    assert.equal(md('**粗** *斜* ***都*** ~~删~~ `a < b`'), '<p><strong>粗</strong> <em>斜</em> <strong><em>都</em></strong> <del>删</del> <code>a &lt; b</code></p>');
    assert.equal(md('*a **b** c*'), '<p><em>a <strong>b</strong> c</em></p>');
    assert.equal(md('snake_case_name 与 2*3*4 与 * 星号 与 **没闭合'), '<p>snake_case_name 与 2*3*4 与 * 星号 与 **没闭合</p>');
    assert.equal(md('``code with ` tick``'), '<p><code>code with ` tick</code></p>');
    assert.equal(md('\\*不是斜体\\*'), '<p>*不是斜体*</p>');
  });

  it('fenced code keeps its text verbatim; an unclosed fence (still streaming) runs to the end', () => {
    assert.equal(md('```js\nif (a < b && c) {\n  **x**\n}\n```\n后文'), '<pre><code lang="js">if (a &lt; b &amp;&amp; c) {\n  **x**\n}</code></pre><p>后文</p>');
    assert.equal(md('~~~\n```\ninner\n~~~'), '<pre><code>```\ninner</code></pre>');
    assert.equal(md('说明：\n```python\nprint("你好")'), '<p>说明：</p><pre><code lang="python">print(&quot;你好&quot;)</code></pre>');
  });

  it('lists: nested, ordered with start, task items, loose lists stay one list', () => {
    assert.equal(md('- 一\n- 二\n  - 二.1\n  - 二.2\n- 三'), '<ul><li>一</li><li>二<ul><li>二.1</li><li>二.2</li></ul></li><li>三</li></ul>');
    assert.equal(md('3. 三\n4. 四'), '<ol start="3"><li>三</li><li>四</li></ol>');
    assert.equal(md('- [ ] 待办\n- [x] 完成'), '<ul><li>☐ 待办</li><li>☑ 完成</li></ul>');
    assert.equal(md('1. 甲\n\n2. 乙\n\n段落'), '<ol><li>甲</li><li>乙</li></ol><p>段落</p>');
    assert.equal(md('步骤如下：\n1. 打开\n2. 关闭'), '<p>步骤如下：</p><ol><li>打开</li><li>关闭</li></ol>');
    assert.equal(md('- 项\n  续行\n\n  第二段'), '<ul><li>项<br>续行<p>第二段</p></li></ul>');
  });

  it('quotes (nested) and rules', () => {
    assert.equal(md('> 引用\n> > 嵌套\n\n---\n***'), '<blockquote><p>引用</p><blockquote><p>嵌套</p></blockquote></blockquote><hr><hr>');
  });

  it('tables: alignment, escaped pipes, pipes in code, short rows; "a | b" over --- is no table', () => {
    assert.equal(
      md('| 名称 | 数量 | 说明 |\n|:---|---:|:-:|\n| a\\|b | `x|y` | 居中 |\n| 短 |'),
      '<div><table><thead><tr><th align="left">名称</th><th align="right">数量</th><th align="center">说明</th></tr></thead>' +
        '<tbody><tr><td align="left">a|b</td><td align="right"><code>x|y</code></td><td align="center">居中</td></tr>' +
        '<tr><td align="left">短</td><td align="right"></td><td align="center"></td></tr></tbody></table></div>',
    );
    assert.equal(md('a | b\n---'), '<p>a | b</p><hr>');
  });

  it('tables degrade to lines for renderers without table tags (Skyline)', () => {
    assert.equal(md('| 名称 | 数量 |\n|---|---|\n| 苹果 | 3 |', { table: 'text' }), '<div><p><strong>名称 ｜ 数量</strong></p><p>苹果 ｜ 3</p></div>');
  });

  it('links show their URL (taps are blocked in rich-text); images are not loaded', () => {
    assert.equal(md('见[文档](https://example.com/a?b=1&c=2)'), '<p>见<a>文档</a><span> https://example.com/a?b=1&amp;c=2</span></p>');
    assert.equal(md('[https://x.cn](https://x.cn) <https://y.cn>'), '<p><a>https://x.cn</a> <a>https://y.cn</a></p>');
    assert.equal(md('[点我](javascript:alert(1))'), '<p>[点我](javascript:alert(1))</p>');
    assert.equal(md('[点我](javascript:alert)'), '<p><a>点我</a></p>', 'a javascript: URL is never shown or linked');
    assert.equal(md('![图](https://evil.example/track.png?q=secret)'), '<p><span>[图片：图] https://evil.example/track.png?q=secret</span></p>');
  });

  it('untrusted HTML in an answer is text, never markup', () => {
    const hostile = [
      '<script>alert(1)</script>',
      '<img src=x onerror="alert(1)">',
      '<a href="javascript:alert(1)">点我</a>',
      '<iframe src="https://evil.example"></iframe>',
      '<style>body{display:none}</style>',
      '**<b onclick=x>粗</b>**',
      '| <svg onload=alert(1)> |\n|---|\n| x |',
      '```\n</code></pre><script>alert(1)</script>\n```',
      '- <img src=x onerror=alert(1)>',
      '&lt;script&gt; 与 &amp; 原样显示',
    ].join('\n\n');
    const out = md(hostile);
    assert.doesNotMatch(out, /<(script|img|iframe|style|svg|b)\b/i, out);
    assert.doesNotMatch(out, /<[^>]*\son\w+=/i, 'no event handler inside a tag');
    assert.match(out, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(out, /<strong>&lt;b onclick=x&gt;粗&lt;\/b&gt;<\/strong>/);
    assert.match(out, /&amp;lt;script&amp;gt; 与 &amp;amp; 原样显示/, 'entities typed by the model are shown as typed');
    assert.equal(md('第一行<br>第二行<BR/>'), '<p>第一行<br>第二行<br></p>', '<br> alone is honoured');
  });

  it('hostile shapes stay fast and bounded (deep nesting, runs of delimiters)', () => {
    const inputs = ['>'.repeat(5000) + ' deep', '*'.repeat(20000), '*a '.repeat(5000), '['.repeat(5000), '- '.repeat(2000) + 'x', '`'.repeat(3001), '_a'.repeat(8000), '**a*'.repeat(4000)];
    for (const input of inputs) {
      const started = performance.now();
      const nodes = toNodes(input);
      assertTrusted(nodes);
      assert.ok(performance.now() - started < 500, `${input.slice(0, 10)}… took too long`);
    }
  });

  it('every prefix of a streamed answer converts (the page re-renders as deltas arrive)', () => {
    const answer = '## 结论\n\n1. **第一**：说明 `code`\n2. 第二\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```ts\nconst x = 1\n```\n> 引用 [链接](https://a.cn)';
    for (let n = 0; n <= answer.length; n++) assertTrusted(toNodes(answer.slice(0, n)));
    assert.equal(
      md(answer),
      '<h2>结论</h2><ol><li><strong>第一</strong>：说明 <code>code</code></li><li>第二</li></ol>' +
        '<div><table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table></div>' +
        '<pre><code lang="ts">const x = 1</code></pre><blockquote><p>引用 <a>链接</a><span> https://a.cn</span></p></blockquote>',
    );
  });

  it('elements carry a class (for wxss) and an inline style (works inside components too)', () => {
    const [h1] = toNodes('# 标题');
    assert.equal(h1!.attrs!.class, 'md-h1');
    assert.match(h1!.attrs!.style!, /font-weight:bold/);
  });
});
