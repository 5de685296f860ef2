/**
 * Exact cosine search over unit vectors in one contiguous Float32Array. Plain JS brute force
 * costs ~1.2 µs per 768-d vector on the reference box (performance-anchors §4b: 100k × 768 ≈
 * 120 ms), fine for the few thousand chunks a mini-program assistant usually has. Past ~20k
 * chunks with embeddings on, swap this for an ANN index behind the same two methods.
 */
export interface VectorHit {
  slot: number;
  /** cosine similarity, -1 … 1 */
  score: number;
}

export class VectorIndex {
  private data: Float32Array;
  private present: Uint8Array;
  private count = 0;

  constructor(readonly dim: number, initialCapacity = 1024) {
    this.data = new Float32Array(dim * initialCapacity);
    this.present = new Uint8Array(initialCapacity);
  }

  get size(): number {
    return this.count;
  }

  has(slot: number): boolean {
    return slot < this.present.length && this.present[slot] === 1;
  }

  /** Stores a copy of `vector`, normalised, at `slot` (replacing what was there). */
  set(slot: number, vector: Float32Array): void {
    if (vector.length !== this.dim) throw new Error(`vector has ${vector.length} dimensions, the index ${this.dim}`);
    this.ensureCapacity(slot + 1);
    let norm = 0;
    for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
    norm = Math.sqrt(norm) || 1;
    const base = slot * this.dim;
    for (let i = 0; i < vector.length; i++) this.data[base + i] = vector[i]! / norm;
    if (!this.present[slot]) this.count++;
    this.present[slot] = 1;
  }

  remove(slot: number): void {
    if (!this.has(slot)) return;
    this.present[slot] = 0;
    this.count--;
  }

  search(query: Float32Array, k: number): VectorHit[] {
    if (query.length !== this.dim) throw new Error(`query has ${query.length} dimensions, the index ${this.dim}`);
    let norm = 0;
    for (let i = 0; i < query.length; i++) norm += query[i]! * query[i]!;
    norm = Math.sqrt(norm) || 1;
    const hits: VectorHit[] = [];
    const { data, dim, present } = this;
    let floor = -Infinity;
    for (let slot = 0; slot < present.length; slot++) {
      if (!present[slot]) continue;
      let dot = 0;
      for (let i = 0, base = slot * dim; i < dim; i++) dot += data[base + i]! * query[i]!;
      const score = dot / norm;
      if (hits.length < k || score > floor) {
        hits.push({ slot, score });
        if (hits.length > k) {
          hits.sort((a, b) => b.score - a.score);
          hits.length = k;
        }
        floor = hits.length < k ? -Infinity : Math.min(...hits.map((h) => h.score));
      }
    }
    return hits.sort((a, b) => b.score - a.score);
  }

  private ensureCapacity(size: number): void {
    if (size <= this.present.length) return;
    let capacity = Math.max(this.present.length, 16);
    while (capacity < size) capacity *= 2;
    const data = new Float32Array(capacity * this.dim);
    data.set(this.data);
    const present = new Uint8Array(capacity);
    present.set(this.present);
    this.data = data;
    this.present = present;
  }
}
