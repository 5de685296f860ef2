/**
 * Where the admin read model reads the chat store's tables (src/store/sqlite/open-sqlite.ts):
 * the one file to change when that schema changes. Everything else in src/admin/sqlite speaks
 * of a conversation by its id.
 */

/** SQL of a `messages` row's conversation id, over the row alias `m` (or OLD in a trigger). */
export const conversationIdOf = (m: string) => `(${m}.conversation || '.' || ${m}.openid)`;

/** WHERE clause selecting one conversation's messages by `@conversationId` (alias `m`). */
export const WHERE_CONVERSATION = `m.openid = substr(@conversationId, instr(@conversationId, '.') + 1)
  AND m.conversation = CAST(substr(@conversationId, 1, instr(@conversationId, '.') - 1) AS INTEGER)
  AND instr(@conversationId, '.') > 1`;

/** The feedback table, when the chat store has one (absent before conversation feedback existed). */
export const FEEDBACK_TABLE: string | undefined = undefined;
