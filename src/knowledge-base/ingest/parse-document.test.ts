import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { KbError } from '../kb-error.js';
import { parseDocument } from './parse-document.js';

const blocksOf = async (name: string, text: string | Buffer) => (await parseDocument(name, Buffer.from(text))).blocks;

test('Markdown: headings, paragraphs, lists, code and inline syntax', async () => {
  const doc = await parseDocument(
    'guide.md',
    Buffer.from('# 指南\n\n这是**重要**的 `WECHAT_APPID`，见[文档](https://example.com)。\n第二行。\n\n- 一\n- 二\n\n```nginx\nproxy_read_timeout 300s;\n```\n\n设置\n---\n内容'),
  );
  assert.equal(doc.title, '指南');
  assert.deepEqual(doc.blocks, [
    { kind: 'heading', level: 1, text: '指南' },
    { kind: 'paragraph', text: '这是重要的 WECHAT_APPID，见文档（https://example.com）。第二行。' },
    { kind: 'paragraph', text: '- 一\n- 二' },
    { kind: 'code', text: 'proxy_read_timeout 300s;' },
    { kind: 'heading', level: 2, text: '设置' },
    { kind: 'paragraph', text: '内容' },
  ]);
});

test('HTML: title, headings, paragraphs; scripts and styles dropped; entities decoded', async () => {
  const doc = await parseDocument(
    'page.html',
    Buffer.from('<html><head><title>部署 &amp; 运维</title><style>p{}</style></head><body><nav>菜单</nav><h2>nginx</h2><p>调大&nbsp;proxy_read_timeout。</p><script>x()</script><ul><li>一</li><li>二</li></ul></body></html>'),
  );
  assert.equal(doc.title, '部署 & 运维');
  assert.deepEqual(doc.blocks, [
    { kind: 'heading', level: 2, text: 'nginx' },
    { kind: 'paragraph', text: '调大 proxy_read_timeout。' },
    { kind: 'paragraph', text: '一\n二' },
  ]);
});

test('plain text: GB18030 files are decoded, paragraphs split', async () => {
  const gbk = Buffer.from([0xc4, 0xe3, 0xba, 0xc3, 0xa1, 0xa3]); // "你好。" in GBK
  assert.deepEqual(await blocksOf('a.txt', gbk), [{ kind: 'paragraph', text: '你好。' }]);
  assert.deepEqual(await blocksOf('b.txt', '第一段\n续行\n\n第二段'), [
    { kind: 'paragraph', text: '第一段续行' },
    { kind: 'paragraph', text: '第二段' },
  ]);
});

test('Q&A CSV (quoted fields, Chinese headers) and JSON become whole pairs', async () => {
  assert.deepEqual(await blocksOf('faq.csv', '\uFEFF问题,答案\n"怎么配置, 域名？","在""开发设置""里\n配置"\n空答案,\n'), [
    { kind: 'qa', question: '怎么配置, 域名？', answer: '在"开发设置"里\n配置' },
  ]);
  assert.deepEqual(await blocksOf('faq.json', JSON.stringify({ faq: [{ question: 'Q1', answer: 'A1' }, { q: 'Q2', a: 'A2' }] })), [
    { kind: 'qa', question: 'Q1', answer: 'A1' },
    { kind: 'qa', question: 'Q2', answer: 'A2' },
  ]);
});

test('bad input is a KbError that names the file and says why', async () => {
  const failure = async (name: string, data: Buffer, kind: KbError['kind'], pattern: RegExp) => {
    await assert.rejects(parseDocument(name, data), (e: unknown) => {
      assert.ok(KbError.is(e), String(e));
      assert.equal(e.kind, kind);
      assert.match(e.message, pattern);
      return true;
    });
  };
  await failure('empty.md', Buffer.alloc(0), 'empty_document', /「empty\.md」是空的/);
  await failure('blank.txt', Buffer.from(' \n\n  '), 'empty_document', /没有可导入的文字/);
  await failure('broken.pdf', Buffer.from('%PDF-1.4\nnot really'), 'parse_failed', /「broken\.pdf」不是有效的 PDF 文件：Invalid PDF structure/);
  await failure('broken.docx', Buffer.from('not a zip'), 'parse_failed', /不是有效的 Word/);
  await failure('faq.csv', Buffer.from('a,b\n1,2'), 'parse_failed', /表头/);
  await failure('faq.json', Buffer.from('{oops'), 'parse_failed', /JSON 格式错误/);
  await failure('image.png', Buffer.from('x'), 'unsupported_type', /不支持的文件类型「\.png」/);
});

test('PDF: text of every page is extracted', async () => {
  const doc = await parseDocument('manual.pdf', minimalPdf(['Socket domain must use wss.', 'TLS 1.2 is required.']));
  assert.deepEqual(
    doc.blocks.map((b) => (b.kind === 'paragraph' ? b.text : '')),
    ['Socket domain must use wss.', 'TLS 1.2 is required.'],
  );
});

test('DOCX: Word headings become headings', async () => {
  const doc = await parseDocument('guide.docx', minimalDocx([['Heading1', '部署'], ['', '调大 proxy_read_timeout。']]));
  assert.deepEqual(doc.blocks, [
    { kind: 'heading', level: 1, text: '部署' },
    { kind: 'paragraph', text: '调大 proxy_read_timeout。' },
  ]);
});

/** A valid PDF with one page per string (Helvetica, ASCII only). */
function minimalPdf(pages: string[]): Buffer {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', ''];
  const kids: string[] = [];
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'); // 3
  for (const text of pages) {
    const content = `BT /F1 18 Tf 72 700 Td (${text}) Tj ET`;
    objects.push(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
    const contentRef = objects.length;
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${contentRef} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`);
    kids.push(`${objects.length} 0 R`);
  }
  objects[1] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages.length} >>`;
  let out = '%PDF-1.4\n';
  const offsets = objects.map((o, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** A valid .docx (stored zip) with the given [style id, text] paragraphs. */
function minimalDocx(paragraphs: Array<[string, string]>): Buffer {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
  const body = paragraphs
    .map(([style, text]) => `<w:p>${style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : ''}<w:r><w:t>${esc(text)}</w:t></w:r></w:p>`)
    .join('');
  return zip({
    '[Content_Types].xml':
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>',
    '_rels/.rels':
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    'word/_rels/document.xml.rels':
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
    'word/styles.xml': `<?xml version="1.0" encoding="UTF-8"?><w:styles ${w}><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style></w:styles>`,
    'word/document.xml': `<?xml version="1.0" encoding="UTF-8"?><w:document ${w}><w:body>${body}</w:body></w:document>`,
  });
}

/** Zip with stored (uncompressed) entries: enough for mammoth. */
function zip(files: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const nameBytes = Buffer.from(name);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt32LE(crc32(data), 14);
    header.writeUInt32LE(data.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(header, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += header.length + nameBytes.length + data.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}
