/**
 * Term → dense id, without keeping the term strings. At 100k chunks the dictionary holds over
 * a million terms and start-up looks up ~30M tokens; a `Map<string, number>` spends most of
 * that time on cache misses (bucket, entry, key string) and ~100 MB on the keys. Here a term
 * is two 32-bit hashes in one open-addressing Int32Array, one cache line per lookup: ~4x
 * faster and a third of the memory.
 *
 * Two different terms sharing both hashes would share postings; with 64 hash bits the chance
 * of any such pair among 2M terms is about 1e-7, and the cost would be one slightly noisier
 * ranking, so it is accepted rather than paid for with stored strings.
 */
/** hashTerm's output for get/intern: one buffer, as lookups never nest. */
const scratch = new Int32Array(2);

export class TermTable {
  // Per slot: [h1, h2, id + 1]; id + 1 = 0 marks an empty slot.
  private slots = new Int32Array(3 * 1024);
  private mask = 1023;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The term's id, or -1 when it was never added. */
  get(term: string): number {
    hashTerm(term, scratch, 0);
    return this.lookup(scratch[0]!, scratch[1]!, false);
  }

  /** The term's id, assigning the next one (0, 1, 2…) to a new term. */
  intern(term: string): number {
    hashTerm(term, scratch, 0);
    return this.lookup(scratch[0]!, scratch[1]!, true);
  }

  /** intern() for a term already hashed by hashTerm (persisted term lists carry hashes, not strings). */
  internHash(h1: number, h2: number): number {
    return this.lookup(h1 | 0, h2 | 0, true);
  }

  byteSize(): number {
    return this.slots.byteLength;
  }

  private lookup(h1: number, h2: number, create: boolean): number {
    const { slots, mask } = this;
    let i = h1 & mask;
    for (;;) {
      const stored = slots[3 * i + 2]!;
      if (stored === 0) break;
      if (slots[3 * i] === h1 && slots[3 * i + 1] === h2) return stored - 1;
      i = (i + 1) & mask;
    }
    if (!create) return -1;
    const id = this.count++;
    slots[3 * i] = h1;
    slots[3 * i + 1] = h2;
    slots[3 * i + 2] = id + 1;
    if (this.count * 10 > (mask + 1) * 7) this.grow(); // load factor 0.7
    return id;
  }

  private grow(): void {
    const old = this.slots;
    const capacity = (this.mask + 1) * 2;
    this.slots = new Int32Array(3 * capacity);
    this.mask = capacity - 1;
    for (let j = 0; j < old.length; j += 3) {
      if (old[j + 2] === 0) continue;
      let i = old[j]! & this.mask;
      while (this.slots[3 * i + 2] !== 0) i = (i + 1) & this.mask;
      this.slots.set(old.subarray(j, j + 3), 3 * i);
    }
  }
}

/**
 * The term's two 32-bit hashes, written to out[at], out[at + 1]. They are its identity in the
 * table and in the term lists persisted with each chunk (chunk-terms.ts): changing this
 * function invalidates those, so bump TERMS_FORMAT there with it.
 */
export function hashTerm(term: string, out: Int32Array, at: number): void {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = 0; i < term.length; i++) {
    const c = term.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193); // FNV-1a
    h2 = Math.imul(h2 ^ c, 0x5bd1e995); // murmur-style multiply and shift
    h2 ^= h2 >>> 15;
  }
  h1 ^= h1 >>> 16; // finaliser: spread FNV's weak low bits before masking
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  out[at] = h1;
  out[at + 1] = h2;
}
