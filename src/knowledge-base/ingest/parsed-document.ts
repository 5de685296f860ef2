/**
 * What every format parser produces: the document's own structure, before chunking. Keeping
 * parsers this dumb (one small file per format) means a new format is one file and one line
 * in parse-document.ts.
 */
export type Block =
  | { kind: 'heading'; level: number; text: string }
  /** prose: split into sentences by the chunker */
  | { kind: 'paragraph'; text: string }
  /** preformatted text (code, config): split only at line ends */
  | { kind: 'code'; text: string }
  /** a question/answer pair from a Q&A file: always one whole chunk */
  | { kind: 'qa'; question: string; answer: string };

export interface ParsedDocument {
  /** From the document itself (a Markdown `# h1`, HTML <title>, PDF metadata); else the caller uses the file name. */
  title?: string;
  blocks: Block[];
}
