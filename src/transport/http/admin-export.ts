import type { ExportedMessage } from '../../admin/admin-store.js';
import { CSV_HEADER, exportedCsv, exportedWire } from './admin-wire.js';

/** Lines per chunk handed to the socket: fewer writes than one per message, still small. */
const LINES_PER_CHUNK = 100;

/**
 * The export as text chunks, pulled by `Readable.from`: the next messages are read only when
 * the socket has taken the previous chunk (backpressure), so a download of any size holds one
 * page of messages. CSV starts with a UTF-8 BOM, without which Excel reads Chinese as GBK.
 */
export async function* exportStream(messages: AsyncIterable<ExportedMessage>, format: 'jsonl' | 'csv'): AsyncGenerator<string> {
  let chunk = format === 'csv' ? `\uFEFF${CSV_HEADER}` : '';
  let lines = 0;
  for await (const message of messages) {
    chunk += format === 'csv' ? exportedCsv(message) : `${JSON.stringify(exportedWire(message))}\n`;
    if (++lines >= LINES_PER_CHUNK) {
      yield chunk;
      chunk = '';
      lines = 0;
    }
  }
  if (chunk) yield chunk;
}
