import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * General-Chinese inverse document frequencies from jieba's bundled idf.txt (270k words; 的 0.88,
 * 配置 5.9, 域名 9.8). Unlike the knowledge base's own IDF they do not depend on what was
 * loaded, so a relevance share computed with them means the same in a 20-chunk FAQ and a
 * 100k-chunk library. Loaded on first use (~20 MB).
 */
let table: Map<string, number> | undefined;

/**
 * For words jieba's table lacks: Latin identifiers (proxy_read_timeout), character bigrams,
 * rare names. 8 is the IDF of a specific but not rare word (合法 7.3, 域名 9.8).
 */
export const UNKNOWN_TERM_IDF = 8;

export function backgroundIdf(term: string): number {
  if (!table) {
    table = new Map();
    // Read directly, not through the package's dict.js, which would also load the 5 MB dictionary.
    const file = createRequire(import.meta.url).resolve('@node-rs/jieba/idf.txt');
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const space = line.lastIndexOf(' ');
      if (space > 0) table.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
  }
  return table.get(term) ?? UNKNOWN_TERM_IDF;
}
