import type { Database, Statement } from 'better-sqlite3';
import type { Tokenizer } from '../../knowledge-base/index/tokenizer.js';
import { addTerms } from '../search-terms.js';
import { shanghaiDay } from '../shanghai-day.js';
import { conversationIdOf, WHERE_CONVERSATION } from './message-source.js';
import { conversationTitle } from '../../store/conversation-title.js';
import { commitGate } from '../../store/sqlite/commit-gate.js';

interface NewRow {
  seq: number;
  openid: string;
  /** null only for a message whose conversation has no id (not written by this schema) */
  cid: string | null;
  role: 'user' | 'assistant';
  content: string;
  status: string;
  created_at: number;
  usage: string | null;
}

/** A conversation's list row as the indexer writes it (admin_conversations). */
interface ConversationWrite {
  doc: number;
  id: string;
  openid: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  messageCount: number;
}

/** One conversation's change in a batch: its old row goes; `row` and `text` (its terms) replace it, or nothing does (deleted). */
interface ConversationUpdate {
  id: string;
  old: IndexedConversation | undefined;
  row?: ConversationWrite;
  text: string;
}

/** A batch read and cut: what its write transaction applies if the position is still `from`. */
interface BatchPlan {
  from: number;
  upper: number;
  rows: NewRow[];
  stale: string[];
  conversations: ConversationUpdate[];
}

/** A conversation's row in the list, as the index has it. */
interface IndexedConversation {
  doc: number;
  openid: string;
  title: string;
  created_at: number;
  message_count: number;
}

interface ConversationRow {
  seq: number;
  openid: string;
  role: 'user' | 'assistant';
  content: string;
  status: string;
  created_at: number;
}

/** Batches per background tick at most: a backfill of 500 × 8 messages a second leaves its thread (the event loop, in the fallback) free in between. */
const BATCHES_PER_TICK = 8;
/** while the checkpoint thread holds the file's commits (a few ms), how soon a tick looks again */
const HELD_RETRY_MS = 5;

export interface AdminIndexerOptions {
  /** messages read per batch; its thread is busy while they are tokenized. Default 500. */
  batchSize?: number;
  /** how often the background tail runs, ms. Default 1000. */
  intervalMs?: number;
  /** reports a failed background pass (the next one retries) */
  onError?: (error: unknown) => void;
  /**
   * Whether the checkpoint thread holds the file's commits for a WAL restart (commit-gate.ts);
   * default: this thread's gate of the file. The index thread reads the gate's shared flag.
   */
  held?: () => boolean;
}

/**
 * Keeps the admin read model (admin-schema.ts) in step with `messages` without touching the
 * chat's write path: it tails the table by `seq` (its rowid), in small batches, every second
 * and on demand before a query, and remembers the last seq it read in the database — so it
 * backfills an existing file on first start and resumes where it stopped after a restart.
 *
 * A batch reads and cuts in a read transaction, then writes in one short IMMEDIATE transaction
 * that first checks the position is where it read it (else it plans again), so two processes
 * on the same file never index a message twice and a chat's commit never waits for jieba. A
 * conversation that grew in a batch gets its row and its index text replaced from what was
 * indexed before plus its new messages
 * (`admin_terms` keeps its distinct terms): the work is the new messages', whatever the
 * conversation's length. A deleted one, or one met for the first time, is read whole.
 */
export class AdminIndexer {
  readonly #db: Database;
  readonly #tokenizer: Tokenizer;
  readonly #batchSize: number;
  readonly #intervalMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #held: () => boolean;
  readonly #position: Statement<[], { value: number }>;
  readonly #advance: Statement<[number]>;
  readonly #newRows: Statement<[number, number], NewRow>;
  readonly #stale: Statement<[number], { id: string }>;
  readonly #unstale: Statement<[string]>;
  readonly #conversation: Statement<[{ conversationId: string; upper: number }], ConversationRow>;
  readonly #existing: Statement<[string], IndexedConversation>;
  readonly #terms: Statement<[string], string>;
  readonly #putTerms: Statement<[string, string]>;
  readonly #dropTerms: Statement<[string]>;
  readonly #dropRow: Statement<[string]>;
  readonly #dropText: Statement<[number]>;
  readonly #putRow: Statement<[ConversationWrite]>;
  readonly #putText: Statement<[number, string]>;
  readonly #count: Statement<[Record<string, unknown>]>;
  #timer: NodeJS.Timeout | undefined;

  constructor(db: Database, tokenizer: Tokenizer, options: AdminIndexerOptions = {}) {
    this.#db = db;
    this.#tokenizer = tokenizer;
    this.#batchSize = options.batchSize ?? 500;
    this.#intervalMs = options.intervalMs ?? 1_000;
    this.#onError = options.onError ?? (() => {});
    const gate = commitGate(db);
    this.#held = options.held ?? (() => gate.held);
    this.#position = db.prepare(`SELECT value FROM admin_meta WHERE key = 'indexed_seq'`);
    this.#advance = db.prepare(`UPDATE admin_meta SET value = ? WHERE key = 'indexed_seq'`);
    this.#newRows = db.prepare(
      `SELECT m.seq, m.openid, ${conversationIdOf('m')} AS cid, m.role, m.content, m.status, m.created_at, m.usage
       FROM messages m WHERE m.seq > ? ORDER BY m.seq LIMIT ?`,
    );
    this.#stale = db.prepare(`SELECT id FROM admin_stale LIMIT ?`);
    this.#unstale = db.prepare(`DELETE FROM admin_stale WHERE id = ?`);
    this.#conversation = db.prepare(
      `SELECT m.seq, m.openid, m.role, m.content, m.status, m.created_at FROM messages m
       WHERE ${WHERE_CONVERSATION} AND m.seq <= @upper ORDER BY m.seq`,
    );
    this.#existing = db.prepare(`SELECT doc, openid, title, created_at, message_count FROM admin_conversations WHERE id = ?`);
    this.#terms = db.prepare(`SELECT terms FROM admin_terms WHERE id = ?`).pluck() as Statement<[string], string>;
    this.#putTerms = db.prepare(`INSERT OR REPLACE INTO admin_terms (id, terms) VALUES (?, ?)`);
    this.#dropTerms = db.prepare(`DELETE FROM admin_terms WHERE id = ?`);
    this.#dropRow = db.prepare(`DELETE FROM admin_conversations WHERE id = ?`);
    this.#dropText = db.prepare(`DELETE FROM admin_fts WHERE rowid = ?`);
    this.#putRow = db.prepare(
      `INSERT INTO admin_conversations (doc, id, openid, title, created_at, updated_at, message_count)
       VALUES (@doc, @id, @openid, @title, @createdAt, @updatedAt, @messageCount)`,
    );
    this.#putText = db.prepare(`INSERT INTO admin_fts (rowid, terms) VALUES (?, ?)`);
    this.#count = db.prepare(
      `INSERT INTO admin_usage (day, openid, questions, blocked, answers, failed, tokens_in, tokens_out)
       VALUES (@day, @openid, @questions, @blocked, @answers, @failed, @tokensIn, @tokensOut)
       ON CONFLICT (day, openid) DO UPDATE SET
         questions = questions + excluded.questions, blocked = blocked + excluded.blocked,
         answers = answers + excluded.answers, failed = failed + excluded.failed,
         tokens_in = tokens_in + excluded.tokens_in, tokens_out = tokens_out + excluded.tokens_out`,
    );
  }

  /** Starts the background tail (an unref'd timer: it never keeps the process alive). */
  start(): void {
    if (this.#timer) return;
    // A backfill runs a few batches per tick, each in its own macrotask, so chats interleave.
    const tick = (left: number) => {
      // the checkpoint thread is starting the WAL over: a write now would spoil it (commit-gate.ts)
      if (this.#held()) {
        this.#timer = setTimeout(tick, HELD_RETRY_MS, left).unref();
        return;
      }
      let more = false;
      try {
        more = this.indexBatch() > 0;
      } catch (error) {
        this.#onError(error);
      }
      if (!this.#timer) return; // stopped meanwhile
      this.#timer = more && left > 1 ? setTimeout(tick, 0, left - 1).unref() : setTimeout(tick, this.#intervalMs, BATCHES_PER_TICK).unref();
    };
    this.#timer = setTimeout(tick, 0, BATCHES_PER_TICK).unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Indexes up to `maxBatches` batches now; true when it caught up with `messages`.
   * Queries call it first so that what was just chatted is found.
   */
  catchUp(maxBatches = Infinity): boolean {
    for (let i = 0; i < maxBatches; i++) if (this.indexBatch() === 0) return true;
    return false;
  }

  /** One batch; returns how many messages and stale conversations it handled. */
  indexBatch(): number {
    // Read and cut outside the write lock: a chat's group commit (another connection to the
    // file) waits for the write only, never for jieba. The write then checks that nobody indexed
    // from the same position meanwhile (another process, or a query's catch-up), else plans again.
    for (;;) {
      const plan = this.#db.transaction(() => this.#plan())();
      if (plan === undefined) return 0;
      const applied = this.#db.transaction(() => this.#apply(plan)).immediate();
      if (applied) return plan.rows.length + plan.stale.length;
    }
  }

  /** What the next batch writes, read in one snapshot; undefined when there is nothing to index. */
  #plan(): BatchPlan | undefined {
    const from = this.#position.get()?.value ?? 0;
    const rows = this.#newRows.all(from, this.#batchSize);
    const stale = this.#stale.all(this.#batchSize).map((row) => row.id);
    if (rows.length === 0 && stale.length === 0) return undefined;
    const upper = rows.length > 0 ? rows[rows.length - 1]!.seq : from;
    // deleted: read again whole, which finds nothing and drops it
    const conversations = stale.map((id) => this.#rebuild(id, upper));
    const gone = new Set(stale);
    const grown = new Map<string, NewRow[]>();
    for (const row of rows) {
      if (row.cid === null || gone.has(row.cid)) continue;
      const added = grown.get(row.cid);
      if (added) added.push(row);
      else grown.set(row.cid, [row]);
    }
    for (const [id, added] of grown) conversations.push(this.#extend(id, added, upper));
    return { from, upper, rows, stale, conversations };
  }

  /** Writes a plan, unless the position moved since it was read (false: plan again). */
  #apply(plan: BatchPlan): boolean {
    if ((this.#position.get()?.value ?? 0) !== plan.from) return false;
    for (const row of plan.rows) this.#countUsage(row);
    for (const id of plan.stale) this.#unstale.run(id);
    for (const { id, old, row, text } of plan.conversations) {
      if (old) {
        this.#dropText.run(old.doc);
        this.#dropRow.run(id);
      }
      if (row === undefined) {
        this.#dropTerms.run(id);
        continue;
      }
      this.#putRow.run(row);
      this.#putText.run(row.doc, text);
      this.#putTerms.run(id, text);
    }
    this.#advance.run(plan.upper);
    return true;
  }

  #countUsage(row: NewRow): void {
    let tokensIn = 0;
    let tokensOut = 0;
    if (row.usage !== null) {
      try {
        const usage = JSON.parse(row.usage) as { promptTokens?: unknown; completionTokens?: unknown };
        if (typeof usage.promptTokens === 'number') tokensIn = usage.promptTokens;
        if (typeof usage.completionTokens === 'number') tokensOut = usage.completionTokens;
      } catch {
        // a malformed usage counts as none
      }
    }
    const question = row.role === 'user';
    this.#count.run({
      day: shanghaiDay(row.created_at),
      openid: row.openid,
      questions: question ? 1 : 0,
      blocked: question && row.status === 'blocked' ? 1 : 0,
      answers: question ? 0 : 1,
      failed: !question && row.status === 'failed' ? 1 : 0,
      tokensIn,
      tokensOut,
    });
  }

  /** A conversation indexed before that grew by `added` (its new messages, in seq order). */
  #extend(id: string, added: readonly NewRow[], upper: number): ConversationUpdate {
    const old = this.#existing.get(id);
    const stored = old && this.#terms.get(id);
    // first seen, or indexed before admin_terms existed (admin schema 1): read whole, once
    if (old === undefined || stored === undefined) return this.#rebuild(id, upper);
    const terms = new Set(stored === '' ? [] : stored.split(' '));
    for (const message of added) addTerms(this.#tokenizer, message.content, terms);
    const latest = added[added.length - 1]!;
    const row = {
      doc: latest.seq,
      id,
      openid: old.openid,
      // the first question that qualifies: a conversation with a title keeps it
      title: old.title === '' ? titleOf(added) : old.title,
      createdAt: old.created_at,
      updatedAt: latest.created_at,
      messageCount: old.message_count + added.length,
    };
    return { id, old, row, text: [...terms].join(' ') };
  }

  /** A conversation read whole (up to `upper`): new to the index, or deleted (no row). */
  #rebuild(id: string, upper: number): ConversationUpdate {
    const old = this.#existing.get(id);
    const messages = this.#conversation.all({ conversationId: id, upper });
    if (messages.length === 0) return { id, old, text: '' };
    const terms = new Set<string>();
    for (const message of messages) addTerms(this.#tokenizer, message.content, terms);
    const first = messages[0]!;
    const latest = messages[messages.length - 1]!;
    const row = {
      doc: latest.seq,
      id,
      openid: first.openid,
      title: titleOf(messages),
      createdAt: first.created_at,
      updatedAt: latest.created_at,
      messageCount: messages.length,
    };
    return { id, old, row, text: [...terms].join(' ') };
  }
}

/** The chat store's title rule (conversation-title.ts): the first question that qualifies. */
export function titleOf(messages: ReadonlyArray<{ role: 'user' | 'assistant'; status: string; content: string }>): string {
  for (const m of messages) {
    const title = conversationTitle(m as Parameters<typeof conversationTitle>[0]);
    if (title !== undefined) return title;
  }
  return '';
}
