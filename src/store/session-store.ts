/**
 * Login sessions: an opaque `session_id` → who the user is. `sessionKey` (WeChat's
 * session_key) lives only here and in the auth module; it never goes to a client or a log.
 */

export interface SessionRecord {
  sessionId: string;
  openid: string;
  unionid?: string;
  sessionKey: string;
  /** epoch milliseconds */
  createdAt: number;
  /** epoch milliseconds; the store forgets the record after it */
  expiresAt: number;
}

export interface SessionStore {
  /** Stores (or replaces) a record; it expires at `record.expiresAt`. */
  put(record: SessionRecord): Promise<void>;
  /** The record, or null when unknown or expired. */
  get(sessionId: string): Promise<SessionRecord | null>;
  /** Moves the expiry (sliding sessions). No-op for an unknown id. */
  touch(sessionId: string, expiresAt: number): Promise<void>;
  delete(sessionId: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
