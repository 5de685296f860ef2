/** Small search helpers for bm25-index.ts: top-k selection and posting lookup over typed arrays. */

/** The k-th best score among the touched slots, or -Infinity when fewer than k were touched. */
export function kthScore(scores: Float64Array, touched: Int32Array, count: number, k: number): number {
  const top = topK(scores, touched, count, k);
  return top.length < k ? -Infinity : scores[top[top.length - 1]!]!;
}

/** Position of `doc` in the sorted postDocs[from, to), or -1. */
export function findPosting(postDocs: Int32Array, from: number, to: number, doc: number): number {
  let lo = from;
  let hi = to - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = postDocs[mid]!;
    if (v === doc) return mid;
    if (v < doc) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Indexes of the k largest `scores[touched[i]]`, best first, via a k-sized min-heap. */
export function topK(scores: Float64Array, touched: Int32Array, count: number, k: number): number[] {
  const heap: number[] = [];
  const less = (a: number, b: number) => scores[a]! < scores[b]! || (scores[a] === scores[b] && a > b);
  for (let i = 0; i < count; i++) {
    const d = touched[i]!;
    if (heap.length < k) {
      heap.push(d);
      let c = heap.length - 1;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!less(heap[c]!, heap[p]!)) break;
        [heap[c], heap[p]] = [heap[p]!, heap[c]!];
        c = p;
      }
    } else if (less(heap[0]!, d)) {
      heap[0] = d;
      let p = 0;
      for (;;) {
        const l = 2 * p + 1;
        const r = l + 1;
        let m = p;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === p) break;
        [heap[m], heap[p]] = [heap[p]!, heap[m]!];
        p = m;
      }
    }
  }
  return heap.sort((a, b) => (less(a, b) ? 1 : less(b, a) ? -1 : 0));
}

