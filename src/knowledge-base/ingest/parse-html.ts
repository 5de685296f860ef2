import type { Block, ParsedDocument } from './parsed-document.js';

const DROPPED = /<(script|style|noscript|template|svg|head|nav|footer)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const BLOCK_TAGS = new Set([
  'p', 'div', 'section', 'article', 'main', 'aside', 'header', 'blockquote', 'ul', 'ol', 'li', 'dl', 'dt', 'dd',
  'table', 'thead', 'tbody', 'tr', 'br', 'hr', 'figure', 'figcaption', 'details', 'summary', 'form',
]);

/**
 * HTML → blocks without a DOM: h1–h6 become headings, <pre> code, block-level tags paragraph
 * breaks; scripts, styles and page chrome (nav, footer) are dropped. Also the second half of
 * the .docx path, which mammoth turns into this kind of HTML.
 */
export function parseHtml(source: string): ParsedDocument {
  const titleMatch = source.match(/<title[^>]*>([\s\S]*?)<\/title>/i);
  const html = source.replace(/<!--[\s\S]*?-->/g, '').replace(DROPPED, ' ');
  const blocks: Block[] = [];
  let lines: string[] = [''];
  const flush = () => {
    // Lines here come from <br>, <li> and <tr>: real line breaks (whitespace inside text was collapsed).
    const text = lines.map(decodeEntities).filter(Boolean).join('\n');
    if (text) blocks.push({ kind: 'paragraph', text });
    lines = [''];
  };

  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g;
  let last = 0;
  let heading: number | undefined;
  let headingText = '';
  let pre: string | undefined;
  for (let m = tag.exec(html); m; m = tag.exec(html)) {
    const text = html.slice(last, m.index);
    last = tag.lastIndex;
    if (pre !== undefined) pre += text;
    else if (heading !== undefined) headingText += text;
    else lines[lines.length - 1] += text.replace(/\s+/g, ' ');
    const closing = m[1] === '/';
    const name = m[2]!.toLowerCase();
    const level = /^h([1-6])$/.exec(name);
    if (name === 'pre') {
      if (!closing) {
        flush();
        pre = '';
      } else if (pre !== undefined) {
        const code = decodeEntities(pre);
        if (code.trim()) blocks.push({ kind: 'code', text: code.replace(/^\n|\n$/g, '') });
        pre = undefined;
      }
    } else if (pre !== undefined) {
      if (name === 'br') pre += '\n';
    } else if (level) {
      if (!closing) {
        flush();
        heading = Number(level[1]);
        headingText = '';
      } else if (heading !== undefined) {
        const text = decodeEntities(headingText).replace(/\s+/g, ' ').trim();
        if (text) blocks.push({ kind: 'heading', level: heading, text });
        heading = undefined;
      }
    } else if (heading === undefined && (name === 'td' || name === 'th') && closing) {
      lines[lines.length - 1] += ' | ';
    } else if (heading === undefined && (name === 'li' || name === 'tr' || name === 'br') && !closing) {
      lines.push('');
    } else if (heading === undefined && BLOCK_TAGS.has(name) && name !== 'li' && name !== 'tr' && name !== 'br') {
      flush();
    }
  }
  lines[lines.length - 1] += html.slice(last).replace(/\s+/g, ' ');
  flush();

  const title = titleMatch ? decodeEntities(titleMatch[1]!).replace(/\s+/g, ' ').trim() : undefined;
  const h1 = blocks.find((b) => b.kind === 'heading');
  const chosen = title || (h1?.kind === 'heading' && h1.level === 1 ? h1.text : undefined);
  return chosen ? { title: chosen, blocks } : { blocks };
}

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ensp: ' ', emsp: ' ', thinsp: ' ',
  middot: '·', hellip: '…', mdash: '—', ndash: '–', laquo: '«', raquo: '»', ldquo: '“', rdquo: '”',
  lsquo: '‘', rsquo: '’', copy: '©', reg: '®', trade: '™', times: '×', divide: '÷', yen: '¥',
};

export function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n: string) => safeCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => safeCodePoint(parseInt(n, 16)))
    .replace(/&([a-z]+);/gi, (whole, name: string) => NAMED[name.toLowerCase()] ?? whole)
    .replace(/ \| *$/g, '')
    .trim();
}

function safeCodePoint(n: number): string {
  return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : '';
}
