import type { Block, ParsedDocument } from './parsed-document.js';

/**
 * Markdown → blocks, line by line: ATX and setext headings, fenced code, lists and tables
 * (kept line by line), front matter (skipped, its `title:` used). Inline syntax is reduced to
 * its readable text: `**粗体**` → 粗体, `[文档](https://…)` → 文档（https://…）, since chunks are
 * shown to people and to the model as plain text.
 */
export function parseMarkdown(source: string): ParsedDocument {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let title: string | undefined;
  let paragraph: string[] = [];
  let listLike = false;
  let i = 0;

  const flush = () => {
    if (paragraph.length) {
      const text = listLike ? paragraph.join('\n') : joinSoftLines(paragraph);
      if (text.trim()) blocks.push({ kind: 'paragraph', text: text.trim() });
    }
    paragraph = [];
    listLike = false;
  };

  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((l, n) => n > 0 && (l.trim() === '---' || l.trim() === '...'));
    if (end > 0) {
      const match = lines.slice(1, end).join('\n').match(/^title:\s*["']?(.+?)["']?\s*$/m);
      if (match) title = match[1];
      i = end + 1;
    }
  }

  for (; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = line.match(/^\s*(```+|~~~+)/);
    if (fence) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]!.trim().startsWith(fence[1]!); i++) code.push(lines[i]!);
      if (code.join('').trim()) blocks.push({ kind: 'code', text: code.join('\n') });
      continue;
    }
    const atx = line.match(/^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/);
    if (atx) {
      flush();
      blocks.push({ kind: 'heading', level: atx[1]!.length, text: inline(atx[2]!) });
      continue;
    }
    const next = lines[i + 1];
    if (line.trim() && paragraph.length === 0 && next !== undefined && /^\s{0,3}(=+|-+)\s*$/.test(next)) {
      blocks.push({ kind: 'heading', level: next.trim().startsWith('=') ? 1 : 2, text: inline(line.trim()) });
      i++;
      continue;
    }
    if (!line.trim()) {
      flush();
      continue;
    }
    if (/^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line)) continue; // table rule
    if (/^\s*([-*+]|\d+[.)])\s+/.test(line) || /^\s*\|/.test(line)) listLike = true;
    paragraph.push(inline(line.replace(/^\s*>\s?/, '')));
  }
  flush();

  const firstHeading = blocks.find((b) => b.kind === 'heading');
  if (title === undefined && firstHeading?.kind === 'heading' && firstHeading.level === 1) title = firstHeading.text;
  return title === undefined ? { blocks } : { title, blocks };
}

function inline(text: string): string {
  return text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\(([^)\s]+)[^)]*\)/g, (_, label: string, url: string) =>
      label === url || url.startsWith('#') ? label : `${label}（${url}）`,
    )
    .replace(/<\/?[a-zA-Z][^>]*>/g, '')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|[^\w*])([*_])([^*_\s][^*_]*?)\2(?![\w*])/g, '$1$3')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/\s*\|\s*$/, '')
    .replace(/^\s*\|\s*/, '')
    .replace(/\s*\|\s*/g, ' | ');
}

/**
 * Joins the lines of one paragraph. Chinese wraps without spaces, so two Han characters
 * meeting at a line break join directly; anything else gets a space, as a browser would.
 */
export function joinSoftLines(lines: readonly string[]): string {
  let out = '';
  for (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    if (out && !(/[\p{Script=Han}，。！？；：、）》」]$/u.test(out) && /^[\p{Script=Han}，。！？；：、（《「]/u.test(line))) out += ' ';
    out += line;
  }
  return out;
}
