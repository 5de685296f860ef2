import type { ParsedDocument } from './parsed-document.js';
import { parseHtml } from './parse-html.js';

/**
 * .docx → HTML (mammoth maps Word's built-in Heading 1…6 styles to h1…h6, which Chinese Word
 * uses too: 标题 1 is `heading 1` inside the file) → blocks. Images are dropped.
 */
export async function parseDocx(data: Buffer): Promise<ParsedDocument> {
  // Loaded on first use (in the parse worker), like pdf.js.
  const { default: mammoth } = await import('mammoth');
  const result = await mammoth.convertToHtml(
    { buffer: data },
    { convertImage: mammoth.images.imgElement(async () => ({ src: '' })) },
  );
  return parseHtml(result.value);
}
