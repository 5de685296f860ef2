import { readAnswerDetails } from '../../store/answer-details.js';
import type { MessageStatus, StoredMessage } from '../../store/history-store.js';

/** A `messages` row as the admin queries select it. */
export interface MessageRow {
  id: string;
  role: StoredMessage['role'];
  content: string;
  status: MessageStatus;
  created_at: number;
  usage: string | null;
  meta: string | null;
}

/** The columns of a MessageRow, over the alias `m`. */
export const MESSAGE_COLUMNS = 'm.id, m.role, m.content, m.status, m.created_at, m.usage, m.meta';

/** The stored message of a row; malformed JSON columns are dropped rather than failing the page. */
export function toStoredMessage(row: MessageRow): StoredMessage {
  const message: StoredMessage = { id: row.id, role: row.role, content: row.content, status: row.status, createdAt: row.created_at };
  const usage = parse(row.usage);
  if (usage && typeof usage === 'object') message.usage = usage as StoredMessage['usage'];
  return { ...message, ...readAnswerDetails(parse(row.meta)) };
}

function parse(json: string | null): unknown {
  if (json === null) return undefined;
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}
