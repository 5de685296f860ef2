import type { StoredMessage } from './history-store.js';

/** Longest title, in characters (code points, so an emoji counts once), "…" included. */
export const TITLE_MAX_CHARS = 30;

/**
 * The title a message gives its conversation if it has none yet: a question that content
 * security let through, its whitespace folded to single spaces (a list shows one line), cut to
 * `TITLE_MAX_CHARS` with "…". Undefined for answers, blocked questions and blank ones: the
 * title stays '' until a question qualifies. Both drivers and the SQLite backfill use this one.
 */
export function conversationTitle(message: Pick<StoredMessage, 'role' | 'status' | 'content'>): string | undefined {
  if (message.role !== 'user' || message.status === 'blocked') return undefined;
  const text = message.content.replace(/\s+/g, ' ').trim();
  if (text === '') return undefined;
  const chars = Array.from(text);
  return chars.length <= TITLE_MAX_CHARS ? text : `${chars.slice(0, TITLE_MAX_CHARS - 1).join('')}…`;
}
