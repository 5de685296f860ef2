import crypto, { randomFillSync } from 'node:crypto';

/**
 * A new answer's id: a UUID version 7 (RFC 9562), whose first 48 bits are the time in ms.
 * Why not v4: the SQLite store's unique key on messages leads with the id
 * (store/sqlite/rekey-messages.ts), so ids that grow with time are appended at that index's
 * right edge — one page per commit for the whole batch, not one page per user (random ids
 * land all over it). The question's id is derived from it (question-id.ts) and sorts beside it.
 * Clients see an opaque UUID as before.
 */
export const newAnswerId: () => string = (crypto as { randomUUIDv7?: () => string }).randomUUIDv7 ?? uuidV7;

/**
 * The same for Node versions without `crypto.randomUUIDv7` (20, 22): 48 bits of ms time, the
 * version and variant bits, 74 random bits. Ids made in the same ms are not ordered among
 * themselves, which costs nothing: they land on the same index page.
 */
export function uuidV7(now: number = Date.now()): string {
  const bytes = randomFillSync(Buffer.alloc(16));
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
