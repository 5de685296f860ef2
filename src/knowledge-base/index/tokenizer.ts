import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Jieba } from '@node-rs/jieba';

/**
 * Turns text into index terms. The same function runs on chunks at ingest and on queries, so
 * anything it does (case folding, width folding, splitting) is symmetric by construction.
 */
export interface Tokenizer {
  /**
   * Names what `terms` produces: persisted term lists (chunk-terms.ts) made under another id
   * are recomputed. Change it whenever the output for some text would change.
   */
  readonly id: string;
  /** Terms in text order, repeated as often as they occur. Punctuation and spaces are dropped. */
  terms(text: string): string[];
}

let sharedJieba: Jieba | undefined;

/**
 * The dictionary takes ~150 ms and ~40 MB to load: one instance per process is enough, and
 * none at all until the first text is cut (an idle gateway with an empty knowledge base never
 * pays for it). Required, not imported, because `terms` is synchronous; the dictionary file is
 * read directly because the package's dict.js also reads the 6 MB idf.txt.
 */
function jieba(): Jieba {
  if (!sharedJieba) {
    const require = createRequire(import.meta.url);
    const { Jieba: JiebaClass } = require('@node-rs/jieba') as typeof import('@node-rs/jieba');
    sharedJieba = JiebaClass.withDict(readFileSync(require.resolve('@node-rs/jieba/dict.txt')));
  }
  return sharedJieba;
}

let version: string | undefined;
function jiebaVersion(): string {
  version ??= (createRequire(import.meta.url)('@node-rs/jieba/package.json') as { version: string }).version;
  return version;
}

/** Latin letters, digits and the joiners that make identifiers: WECHAT_APP_SECRET, TLS1.2, x-forwarded-for. */
const WORDISH = /^[\p{L}\p{N}_.\-]+$/u;
const JOINERS = /[_.\-]+/;

/** CJK ideographs (BMP blocks, and surrogate pairs of the supplementary ones). */
function isHan(code: number): boolean {
  return (
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xd840 && code <= 0xd87f)
  );
}

/** [0-9a-z_.-] by char code: jieba emits millions of tokens at start-up, a regex each is measurable. */
function isAsciiWord(code: number): boolean {
  // (CJK punctuation 、。「」 is 0x3000–0x303f: callers test isHan first, then this, then the regex)
  return (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 95 || code === 46 || code === 45;
}

/**
 * Words from jieba's bundled dictionary (precise mode, HMM off), with two repairs:
 *
 * - Han characters jieba leaves as a run of single-character tokens (names and terms missing
 *   from its dictionary: 广|茂 铁路) also yield their character bigrams (广茂), so a name matches
 *   however the surrounding text made jieba cut it. HMM is off because its guesses at unknown
 *   words depend on context and so differ between a question and the passage it asks about.
 * - Latin runs are rejoined into the identifier the reader typed (jieba cuts `proxy_read_timeout`
 *   at every underscore), and also yield their parts, so both `proxy_read_timeout` and `timeout`
 *   match.
 *
 * Text is NFKC-folded (full-width ＡＢＣ１２３ → ABC123) and lower-cased first.
 */
export function createJiebaTokenizer(): Tokenizer {
  return {
    // The dictionary ships with the package, so its version names the cuts; r1: the repairs below.
    // A getter: an empty knowledge base never touches the package (test/lazy-loading.test.ts).
    get id() {
      return `jieba-${jiebaVersion()}/r1`;
    },
    terms(text) {
      const out: string[] = [];
      const tokens = jieba().cut(text.normalize('NFKC').toLowerCase(), false);
      let singles: string[] = []; // current run of single Han characters
      let word = ''; // current Latin/number run
      const flushSingles = () => {
        for (let i = 0; i + 1 < singles.length; i++) out.push(singles[i]! + singles[i + 1]!);
        singles = [];
      };
      const flushWord = () => {
        const trimmed = word.replace(/^[_.\-]+|[_.\-]+$/g, '');
        if (trimmed) {
          out.push(trimmed);
          if (JOINERS.test(trimmed)) for (const part of trimmed.split(JOINERS)) if (part) out.push(part);
        }
        word = '';
      };
      for (const token of tokens) {
        const first = token.charCodeAt(0);
        if (isHan(first)) {
          if (word) flushWord();
          if (token.length === 1) singles.push(token);
          else flushSingles();
          out.push(token);
        } else if (isAsciiWord(first) ? token.length === 1 || WORDISH.test(token) : first > 0x7f && WORDISH.test(token)) {
          if (singles.length) flushSingles();
          word += token;
        } else {
          // punctuation, spaces, symbols: they end runs and are not terms
          if (singles.length) flushSingles();
          if (word) flushWord();
        }
      }
      flushSingles();
      if (word) flushWord();
      return out;
    },
  };
}

/**
 * Overlapping character bigrams of the folded text, ignoring punctuation and spaces: the
 * classic dictionary-free baseline for Chinese. The evaluation and the scale benchmark run it
 * beside the product tokenizer as a yardstick.
 */
export function createBigramTokenizer(): Tokenizer {
  return {
    id: 'bigram/1',
    terms(text) {
      const out: string[] = [];
      for (const run of text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
        const chars = Array.from(run);
        if (chars.length === 1) out.push(chars[0]!);
        for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
      }
      return out;
    },
  };
}
