import { Lexer, type Token, type Tokens } from 'marked';

/**
 * An answer's Markdown → the text a voice reads out. Uses marked's lexer (GFM, as the models
 * write it) rather than regular expressions: nested emphasis, escapes, reference links, tables
 * and fenced code inside lists are where hand-written strippers go wrong, and the lexer is
 * small, dependency-free and what the ecosystem renders Markdown with.
 *
 * - code blocks are not read (a voice reading `const x = …` helps nobody): one says 「此处有代码，略过。」
 * - links and images → their text; bare URLs are dropped
 * - citation markers the RAG prompt asks for (`[1]`, `[2][3]`, `【1】`, `^1`) are removed
 * - headings, list items and table rows become sentences of their own
 *
 * @example
 * toSpeakableText('## 步骤\n1. 打开**设置**[1]\n2. 见[文档](https://x.cn)') // → '步骤。\n打开设置。\n见文档。'
 */
export function toSpeakableText(markdown: string): string {
  const lines: string[] = [];
  const tamed = tame(markdown);
  let tokens: Token[];
  try {
    tokens = new Lexer({ gfm: true }).lex(tamed);
  } catch {
    // a shape `tame` did not foresee: read the words without the punctuation rather than fail
    return tidy(tamed.replace(/[#*_`~>|[\]()!<]+/g, ' '));
  }
  walkBlocks(tokens, lines);
  return lines
    .map((line) => tidy(line))
    .filter((line) => line !== '')
    .map(endSentence)
    .join('\n');
}

/** longest paragraph handed to the lexer at once, characters */
const MAX_PARAGRAPH = 800;
/** deepest quote / list nesting kept */
const MAX_DEPTH = 4;

/**
 * Bounds what the lexer sees, since the text is the model's and a user can make the model
 * write anything: marked recurses once per nested quote (thousands of `>` overflow the stack)
 * and matches emphasis delimiters per paragraph in quadratic time (`a_a_a_…`). Deep quote and
 * list nesting is flattened, and a blank line is put into any paragraph longer than
 * MAX_PARAGRAPH (outside code fences and tables), which bounds the quadratic part; a voice
 * reading the text cannot tell the difference.
 */
function tame(markdown: string): string {
  const out: string[] = [];
  let run = 0;
  let fenced = false;
  const depth = new RegExp(`^((?:[ \\t]{0,3}>){${MAX_DEPTH}})(?:[ \\t]{0,3}>)+`);
  const indent = new RegExp(`^[ \\t]{${MAX_DEPTH * 4},}`);
  for (const line of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    if (/^\s{0,3}(```|~~~)/.test(line)) fenced = !fenced;
    if (line.trim() === '') run = 0;
    for (const raw of cutLine(line)) {
      const piece = raw.replace(depth, '$1').replace(indent, ' '.repeat(MAX_DEPTH * 4));
      if (run > 0 && run + piece.length > MAX_PARAGRAPH && !fenced && !piece.trimStart().startsWith('|')) {
        out.push('');
        run = 0;
      }
      out.push(piece);
      run += piece.length;
    }
  }
  return out.join('\n');
}

/** A line in pieces of at most MAX_PARAGRAPH, cut after a sentence end where there is one in the second half. */
function cutLine(line: string): string[] {
  const pieces: string[] = [];
  let rest = line;
  while (rest.length > MAX_PARAGRAPH) {
    let cut = MAX_PARAGRAPH;
    for (let i = MAX_PARAGRAPH; i > MAX_PARAGRAPH / 2; i--) {
      if ('。！？；!?'.includes(rest[i - 1]!)) {
        cut = i;
        break;
      }
    }
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  pieces.push(rest);
  return pieces;
}

/** said instead of a code block */
export const CODE_PLACEHOLDER = '此处有代码，略过。';

function walkBlocks(tokens: Token[], out: string[]): void {
  for (const token of tokens) {
    switch (token.type) {
      case 'heading':
      case 'paragraph':
        out.push(inline((token as Tokens.Heading | Tokens.Paragraph).tokens));
        break;
      case 'text': {
        const text = token as Tokens.Text;
        out.push(text.tokens ? inline(text.tokens) : text.text);
        break;
      }
      case 'code':
        out.push(CODE_PLACEHOLDER);
        break;
      case 'blockquote':
        walkBlocks((token as Tokens.Blockquote).tokens, out);
        break;
      case 'list':
        for (const item of (token as Tokens.List).items) walkBlocks(item.tokens, out);
        break;
      case 'table': {
        const table = token as Tokens.Table;
        out.push(table.header.map((cell) => inline(cell.tokens)).join('，'));
        for (const row of table.rows) out.push(row.map((cell) => inline(cell.tokens)).join('，'));
        break;
      }
      // html, hr, space, def (a reference link's target): nothing to say
      default:
        break;
    }
  }
}

function inline(tokens: Token[] | undefined): string {
  if (!tokens) return '';
  let out = '';
  for (const token of tokens) {
    switch (token.type) {
      case 'text':
      case 'escape': {
        const text = token as Tokens.Text;
        out += text.tokens ? inline(text.tokens) : text.text;
        break;
      }
      case 'strong':
      case 'em':
      case 'del':
        out += inline((token as Tokens.Strong).tokens);
        break;
      case 'link': {
        const link = token as Tokens.Link;
        // an autolink's text is its URL: not worth reading out
        if (link.text !== link.href) out += inline(link.tokens);
        break;
      }
      case 'image':
        out += (token as Tokens.Image).text;
        break;
      case 'codespan':
        out += decodeEntities((token as Tokens.Codespan).text);
        break;
      case 'br':
        out += '，';
        break;
      // inline html: skipped
      default:
        break;
    }
  }
  return out;
}

/** what the lexer leaves in text: citation markers, raw URLs, entities, runs of spaces */
function tidy(text: string): string {
  return decodeEntities(text)
    .replace(/\[\^?\d{1,3}\]|【\d{1,3}】|\^\d{1,3}/g, '')
    .replace(/https?:\/\/\S+/g, '')
    .replace(/[ \t\u3000]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .trim();
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };
function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, name: string) => ENTITIES[name] ?? '');
}

/** a heading or list item without final punctuation gets one, so the voice pauses after it */
function endSentence(line: string): string {
  return /[。！？；.!?;…：:]$/.test(line) ? line : /[\u4e00-\u9fff）」』”]$/.test(line) ? `${line}。` : `${line}.`;
}
