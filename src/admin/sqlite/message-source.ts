/**
 * Where the admin read model reads the chat store's tables (open-sqlite.ts and, for
 * `conversation_meta` and `feedback`, backfill-conversations.ts): the one file to change when
 * that schema changes. Messages are numbered per user (`messages.conversation`);
 * `conversation_meta` gives each (openid, number) its opaque id.
 */

/** SQL of a `messages` row's conversation id, over the row alias `m`; NULL for a number without an id. */
export const conversationIdOf = (m: string) =>
  `(SELECT cm.id FROM conversation_meta cm WHERE cm.openid = ${m}.openid AND cm.n = ${m}.conversation)`;

/**
 * WHERE clause selecting one conversation's messages by `@conversationId` (alias `m`). The
 * subqueries are constant: SQLite runs them once and walks the (openid, conversation, seq) index.
 */
export const WHERE_CONVERSATION = `m.openid = (SELECT openid FROM conversation_meta WHERE id = @conversationId)
  AND m.conversation = (SELECT n FROM conversation_meta WHERE id = @conversationId)`;

/** The table whose deletes remove a conversation (its messages go in the same transaction). */
export const CONVERSATION_TABLE = 'conversation_meta';
