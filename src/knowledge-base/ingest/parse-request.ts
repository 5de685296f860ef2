import { KbError, type KbErrorKind } from '../kb-error.js';
import type { ChunkOptions } from './chunk-text.js';
import { prepareDocument, type PreparedDocument } from './prepare-document.js';

/** What the parse pool sends a worker: one document. */
export interface ParseRequest {
  name: string;
  source: string;
  /** transferred, not copied */
  data: Uint8Array;
  hash: string;
  chunking: ChunkOptions;
}

/** What the worker answers. KbErrors cross as kind + message, their Chinese text intact. */
export type ParseReply = { prepared: PreparedDocument } | { error: { kind: KbErrorKind; message: string } };

/** Runs inside a parse worker: file bytes → document and chunk records, or the reason not. */
export async function answerParseRequest(request: ParseRequest): Promise<ParseReply> {
  try {
    const data = Buffer.from(request.data.buffer, request.data.byteOffset, request.data.byteLength);
    return { prepared: await prepareDocument({ ...request, data }) };
  } catch (error) {
    if (KbError.is(error)) return { error: { kind: error.kind, message: error.message } };
    const reason = error instanceof Error ? error.message : String(error);
    return { error: { kind: 'parse_failed', message: `「${request.name}」无法解析：${reason}` } };
  }
}
