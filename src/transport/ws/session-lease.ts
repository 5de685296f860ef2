import type { Session } from '../../auth/session-service.js';

/**
 * A socket's session as last confirmed by the store, trusted without asking it again for a
 * short while. Every message used to read the session store (7 % of a chat's CPU on SQLite, a
 * round trip on Redis); a logged-in client sends many.
 *
 * The lease never outlives the session: it ends at the record's own `expiresAt`, so an expired
 * session is refused on the very next message exactly as before (the store is asked and says
 * so). A session removed from the store some other way (another instance, an operator) is seen
 * within `recheckMs`.
 */
export class SessionLease {
  private session: Session | undefined;
  private validUntil = 0;

  constructor(
    /** how long a confirmation is trusted, ms */
    private readonly recheckMs = SESSION_RECHECK_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The session for `sessionId` when it may be used without the store, else undefined. */
  current(sessionId: string): Session | undefined {
    const session = this.session;
    return session !== undefined && session.sessionId === sessionId && this.now() < this.validUntil ? session : undefined;
  }

  /** The store just confirmed `session`, whose record expires at `expiresAt` (epoch ms). */
  grant(session: Session, expiresAt: number): void {
    this.session = session;
    this.validUntil = Math.min(expiresAt, this.now() + this.recheckMs);
  }

  clear(): void {
    this.session = undefined;
    this.validUntil = 0;
  }
}

/** A session deleted from the store is refused on a socket within this long. */
export const SESSION_RECHECK_MS = 2_000;
