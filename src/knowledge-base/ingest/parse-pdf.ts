import type { Block, ParsedDocument } from './parsed-document.js';
import { parsePlainText } from './parse-plain-text.js';

/**
 * PDF → paragraphs via pdf-parse (Mozilla pdf.js underneath). PDFs carry no headings, only
 * positioned lines, so each page becomes plain text and the chunker's sentence splitting does
 * the rest. Throws pdf.js's own errors (InvalidPDFException, PasswordException…): the caller
 * turns them into a KbError naming the file.
 */
export async function parsePdf(data: Buffer): Promise<ParsedDocument> {
  // Loaded on first use (in the parse worker): pdf.js costs tens of MB a gateway that never sees a PDF need not hold.
  const { PDFParse } = await import('pdf-parse');
  // pdf.js takes ownership of (and may detach) the buffer it is given: pass a copy.
  const parser = new PDFParse({ data: new Uint8Array(data) });
  try {
    // getText first: it throws pdf.js's own, readable error (InvalidPDFException…); a failed
    // getInfo first would leave only "Unable to deserialize cloned data".
    const result = await parser.getText();
    const info = await parser.getInfo().catch(() => undefined);
    const blocks: Block[] = [];
    for (const page of result.pages) blocks.push(...parsePlainText(page.text).blocks);
    const title = typeof info?.info?.Title === 'string' ? info.info.Title.trim() : '';
    return title ? { title, blocks } : { blocks };
  } finally {
    await parser.destroy().catch(() => {});
  }
}
