import { extname } from 'node:path';
import { KbError } from '../kb-error.js';
import { decodeText } from './decode-text.js';
import type { ParsedDocument } from './parsed-document.js';
import { parseDocx } from './parse-docx.js';
import { parseHtml } from './parse-html.js';
import { parseMarkdown } from './parse-markdown.js';
import { parsePdf } from './parse-pdf.js';
import { parsePlainText } from './parse-plain-text.js';
import { parseQaFile } from './parse-qa-file.js';

type Parser = (data: Buffer) => ParsedDocument | Promise<ParsedDocument>;

/** Extension → parser. Adding a format is one parser file and one line here. */
const PARSERS: Record<string, Parser> = {
  '.md': (d) => parseMarkdown(decodeText(d)),
  '.markdown': (d) => parseMarkdown(decodeText(d)),
  '.txt': (d) => parsePlainText(decodeText(d)),
  '.html': (d) => parseHtml(decodeText(d)),
  '.htm': (d) => parseHtml(decodeText(d)),
  '.pdf': parsePdf,
  '.docx': parseDocx,
  '.csv': (d) => parseQaFile(decodeText(d), 'csv'),
  '.json': (d) => parseQaFile(decodeText(d), 'json'),
  '.jsonl': (d) => parseQaFile(decodeText(d), 'jsonl'),
};

export const SUPPORTED_EXTENSIONS: readonly string[] = Object.keys(PARSERS);

export function isSupportedFile(name: string): boolean {
  return extname(name).toLowerCase() in PARSERS;
}

/**
 * Parses a file by its extension. Every failure is a KbError whose message names the file and
 * says what to do; nothing here touches the knowledge base.
 *
 * @example
 * const doc = await parseDocument('faq.csv', await readFile('faq.csv'));
 */
export async function parseDocument(name: string, data: Buffer): Promise<ParsedDocument> {
  const ext = extname(name).toLowerCase();
  const parser = PARSERS[ext];
  if (!parser) {
    throw new KbError('unsupported_type', `不支持的文件类型「${ext || name}」（${name}）；支持：${SUPPORTED_EXTENSIONS.join(' ')}`);
  }
  if (data.length === 0) throw new KbError('empty_document', `文件「${name}」是空的，未导入`);
  let doc: ParsedDocument;
  try {
    doc = await parser(data);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const what = ext === '.pdf' ? '不是有效的 PDF 文件' : ext === '.docx' ? '不是有效的 Word（.docx）文件' : '无法解析';
    throw new KbError('parse_failed', `「${name}」${what}：${reason}`, { cause: error });
  }
  const hasText = doc.blocks.some((b) => (b.kind === 'qa' ? b.question && b.answer : b.kind !== 'heading' && b.text.trim()));
  if (!hasText) {
    const hint =
      ext === '.pdf'
        ? '，可能是扫描件（图片），请先做 OCR'
        : ext === '.csv' || ext === '.json' || ext === '.jsonl'
          ? '，没有找到完整的问答对'
          : '';
    throw new KbError('empty_document', `「${name}」中没有可导入的文字${hint}`);
  }
  return doc;
}
