import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { newAnswerId } from '../../src/chat/answer-id.js';
import { questionIdOf } from '../../src/chat/question-id.js';
import { SqliteHistoryStore } from '../../src/store/sqlite/sqlite-history-store.js';

export interface WalFramesLoad {
  users: string[];
  /** the user (an index into `users`) of the `i`-th message of the `turn`-th commit */
  userOf: (turn: number, i: number) => number;
  /** commits before the count starts, so that every user has pages of their own (default 150) */
  warmCommits?: number;
  /** commits counted (default 100) */
  commits?: number;
}

/**
 * WAL frames (pages) written per message when commits of 40 messages — questions and answers
 * alternating, from the users `userOf` picks — go through the real SqliteHistoryStore on `db`
 * (a file: the WAL is what is counted). A deterministic count, not a timing: the schema's cost
 * per message in disk pages. Closes the store, not `db`.
 */
export async function walFramesPerMessage(db: Database, file: string, load: WalFramesLoad): Promise<number> {
  db.pragma('wal_autocheckpoint = 0');
  const history = new SqliteHistoryStore(db);
  const { users, userOf, warmCommits = 150, commits = 100 } = load;
  const conversations = await Promise.all(users.map((user) => history.currentConversation(user)));
  const content = '你好，请问营业时间是几点？这是一个比较常见的回答内容。';
  let turn = 0;
  const commit = async () => {
    const appends = [];
    for (let i = 0; i < 40; i++) {
      const user = userOf(turn, i);
      const id = newAnswerId();
      const message = i % 2 === 0 ? { id: questionIdOf(id), role: 'user' as const } : { id, role: 'assistant' as const };
      appends.push(history.append(users[user]!, { ...message, content, status: 'complete', createdAt: Date.now() }, conversations[user]));
    }
    turn++;
    await Promise.all(appends);
  };
  for (let i = 0; i < warmCommits; i++) await commit();
  db.pragma('wal_checkpoint(TRUNCATE)');
  for (let i = 0; i < commits; i++) await commit();
  const frameBytes = (db.pragma('page_size', { simple: true }) as number) + 24;
  await history.close();
  return statSync(`${file}-wal`).size / frameBytes / (commits * 40);
}

/**
 * `count` users with random openids, each commit taking the next 40 of them in an order unrelated
 * to when their conversations were created (as in production: who writes now has nothing to do
 * with who signed up when), after two messages per user. Each pass over the users starts one
 * place later, so a user's messages alternate between question and answer as in a conversation.
 */
export function scatteredUsers(count: number): WalFramesLoad {
  const users = Array.from({ length: count }, () => `o${randomBytes(14).toString('base64url')}`);
  const order = users.map((_, i) => i).sort(() => Math.random() - 0.5);
  const userOf = (turn: number, i: number) => {
    const k = turn * 40 + i;
    return order[(k + Math.floor(k / count)) % count]!;
  };
  return { users, userOf, warmCommits: Math.ceil((2 * count) / 40) };
}
