import { readAnswerDetails } from '../answer-details.js';
import type { MessageStatus, StoredMessage } from '../history-store.js';

/** A `messages` row as the history store and the admin reader select it. */
export interface MessageRow {
  id: string;
  role: StoredMessage['role'];
  content: string;
  status: MessageStatus;
  created_at: number;
  usage: string | null;
  /** JSON of the message details (`model`, `sources`, `flagged`, `attachments`); older rows hold the same shape */
  meta: string | null;
}

/** The columns of a MessageRow, over the alias `m`. */
export const MESSAGE_COLUMNS = 'm.id, m.role, m.content, m.status, m.created_at, m.usage, m.meta';

export interface ToStoredMessageOptions {
  /**
   * A `usage` or `meta` column that is not valid JSON: `throw` (the history store reads back only
   * what it wrote, so a corrupt row is not papered over), or `drop` the column, and one that is
   * not a JSON object too (the admin pages: one bad row does not fail a page of them).
   * Default `throw`.
   */
  malformed?: 'throw' | 'drop';
}

/**
 * The stored message of a row. Absent stays absent (not `undefined`), so a round trip is
 * deep-equal to what was stored.
 */
export function toStoredMessage(row: MessageRow, options: ToStoredMessageOptions = {}): StoredMessage {
  const read = options.malformed === 'drop' ? objectOrUndefined : strict;
  const message: StoredMessage = { id: row.id, role: row.role, content: row.content, status: row.status, createdAt: row.created_at };
  const usage = read(row.usage);
  if (usage !== undefined) message.usage = usage as StoredMessage['usage'];
  const meta = read(row.meta);
  return meta === undefined ? message : { ...message, ...readAnswerDetails(meta) };
}

function strict(json: string | null): unknown {
  return json === null ? undefined : JSON.parse(json);
}

function objectOrUndefined(json: string | null): unknown {
  if (json === null) return undefined;
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
