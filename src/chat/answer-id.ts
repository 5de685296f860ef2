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

/** random bytes for 256 ids, drawn at once: one `getrandom` per 256 answers instead of one each */
const POOL_IDS = 256;
const pool = Buffer.alloc(16 * POOL_IDS);
let pooled = 0;

/**
 * The same for Node versions without `crypto.randomUUIDv7` (20, 22): 48 bits of ms time, the
 * version and variant bits, 74 random bits. Ids made in the same ms are not ordered among
 * themselves, which costs nothing: they land on the same index page. The random bits come from
 * a pool refilled every 256 ids, as Node's own `randomUUID` does (a fill per id was ~4% of an
 * intake's CPU on Node 20).
 */
export function uuidV7(now: number = Date.now()): string {
  if (pooled === 0) randomFillSync(pool);
  // this id's 16 bytes of the pool, used once
  const at = pooled * 16;
  pooled = (pooled + 1) % POOL_IDS;
  pool.writeUIntBE(now, at, 6);
  pool[at + 6] = (pool[at + 6]! & 0x0f) | 0x70;
  pool[at + 8] = (pool[at + 8]! & 0x3f) | 0x80;
  const hex = pool.toString('hex', at, at + 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
