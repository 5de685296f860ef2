import { parentPort } from 'node:worker_threads';
import { KbError, type KbErrorKind } from '../kb-error.js';
import type { ChunkOptions } from './chunk-text.js';
import { prepareDocument, type PreparedDocument } from './prepare-document.js';

/**
 * Entry of a parse worker (see parse-pool.ts): turns file bytes into the document and chunk
 * records, one request at a time, off the gateway's event loop. pdf.js and mammoth are loaded
 * here, on first use, and leave with the worker.
 */

export interface ParseRequest {
  name: string;
  source: string;
  /** transferred, not copied */
  data: Uint8Array;
  hash: string;
  chunking: ChunkOptions;
}

export type ParseReply = { prepared: PreparedDocument } | { error: { kind: KbErrorKind; message: string } };

const port = parentPort;
if (port) {
  port.on('message', async (request: ParseRequest) => {
    let reply: ParseReply;
    try {
      const data = Buffer.from(request.data.buffer, request.data.byteOffset, request.data.byteLength);
      reply = { prepared: await prepareDocument({ ...request, data }) };
    } catch (error) {
      // KbErrors cross as kind + message (their Chinese text intact); anything else is a parse failure.
      reply = KbError.is(error)
        ? { error: { kind: error.kind, message: error.message } }
        : { error: { kind: 'parse_failed', message: `「${request.name}」无法解析：${(error as Error)?.message ?? String(error)}` } };
    }
    port.postMessage(reply);
  });
}
