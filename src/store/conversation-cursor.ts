/**
 * The `nextCursor` of a conversation page: the position (updatedAt, id) of the last item shown,
 * opaque to clients (base64url). Pages are ordered by (updatedAt, id) descending, so the next
 * page is everything strictly before that position — stable while conversations are appended to.
 */
export interface CursorPosition {
  updatedAt: number;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.updatedAt}.${position.id}`, 'utf8').toString('base64url');
}

/**
 * Undefined for anything this module did not write: a cursor comes back from a client, and a
 * forged or truncated one must not turn into a query (the drivers answer it with an empty page).
 */
export function decodeCursor(cursor: string): CursorPosition | undefined {
  if (cursor.length === 0 || cursor.length > 400 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const match = /^(-?\d{1,16})\.(.+)$/s.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) return undefined;
  const updatedAt = Number(match[1]);
  return Number.isSafeInteger(updatedAt) ? { updatedAt, id: match[2]! } : undefined;
}

/** Is (updatedAt, id) strictly after `cursor` in newest-first order, i.e. on a later page? */
export function isBefore(item: CursorPosition, cursor: CursorPosition): boolean {
  return item.updatedAt < cursor.updatedAt || (item.updatedAt === cursor.updatedAt && item.id < cursor.id);
}

/** A page size within the port's 1…100 (a float or out-of-range value from a caller is clamped). */
export function pageLimit(limit: number): number {
  const n = Math.floor(limit);
  return Number.isFinite(n) ? Math.min(100, Math.max(1, n)) : 20;
}
