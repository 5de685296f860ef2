import type { Block, ParsedDocument } from './parsed-document.js';
import { joinSoftLines } from './parse-markdown.js';

/**
 * Plain text → paragraphs. Blank lines separate paragraphs; inside one, lines are joined
 * (hard-wrapped text, PDF lines). A text with no blank lines at all keeps each line as its
 * own paragraph, which is how Chinese .txt files are usually written.
 */
export function parsePlainText(source: string): ParsedDocument {
  const text = source.replace(/\r\n?/g, '\n');
  const hasBlankLines = /\n[ \t\u3000]*\n/.test(text.trim());
  const paragraphs = hasBlankLines ? text.split(/\n[ \t\u3000]*\n/) : text.split('\n');
  const blocks: Block[] = [];
  for (const p of paragraphs) {
    const joined = joinSoftLines(p.split('\n'));
    if (joined) blocks.push({ kind: 'paragraph', text: joined });
  }
  return { blocks };
}
