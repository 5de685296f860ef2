/**
 * Folds the tricks people use to slip a term past a keyword list: full-width letters and
 * digits (ＡＢＣ → abc, via NFKC), case, and anything placed between the characters — spaces,
 * punctuation, symbols, emoji, zero-width characters — so "赌 博", "赌*博" and "赌\u200b博"
 * all read "赌博". Letters and digits of every script stay.
 *
 * The price: a term can match across a word boundary ("A, B" contains "ab"). Terms are
 * several characters of Chinese, where that is rare.
 */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}
