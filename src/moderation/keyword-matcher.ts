/**
 * Aho–Corasick over normalised text: finds any of thousands of terms in one pass over the
 * input, whatever the list size (a regex union of thousands of alternatives backtracks).
 * Built once; `find` allocates nothing but the iterator over the text.
 */
interface Node {
  next: Map<string, number>;
  fail: number;
  /** the longest term ending here, directly or through the fail chain */
  term: string | undefined;
}

export class KeywordMatcher {
  private readonly nodes: Node[] = [{ next: new Map(), fail: 0, term: undefined }];

  /** `terms` must already be normalised; empty ones are ignored. */
  constructor(terms: Iterable<string>) {
    for (const term of terms) if (term) this.add(term);
    this.link();
  }

  get size(): number {
    return this.nodes.length;
  }

  /** The first term found in `text` (normalised), or undefined. */
  find(text: string): string | undefined {
    let state = 0;
    for (const char of text) {
      while (state !== 0 && !this.nodes[state]!.next.has(char)) state = this.nodes[state]!.fail;
      state = this.nodes[state]!.next.get(char) ?? 0;
      const term = this.nodes[state]!.term;
      if (term) return term;
    }
    return undefined;
  }

  private add(term: string): void {
    let state = 0;
    for (const char of term) {
      let next = this.nodes[state]!.next.get(char);
      if (next === undefined) {
        next = this.nodes.push({ next: new Map(), fail: 0, term: undefined }) - 1;
        this.nodes[state]!.next.set(char, next);
      }
      state = next;
    }
    this.nodes[state]!.term = term;
  }

  /** Breadth-first: each node's fail link is the longest proper suffix that is also a prefix. */
  private link(): void {
    const queue = [...this.nodes[0]!.next.values()];
    for (let i = 0; i < queue.length; i++) {
      const node = this.nodes[queue[i]!]!;
      for (const [char, child] of node.next) {
        let fail = node.fail;
        while (fail !== 0 && !this.nodes[fail]!.next.has(char)) fail = this.nodes[fail]!.fail;
        const target = this.nodes[fail]!.next.get(char);
        this.nodes[child]!.fail = target !== undefined && target !== child ? target : 0;
        this.nodes[child]!.term ??= this.nodes[this.nodes[child]!.fail]!.term;
        queue.push(child);
      }
    }
  }
}
