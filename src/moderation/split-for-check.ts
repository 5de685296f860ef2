/**
 * Splits text into pieces of at most `max` UTF-16 units (msgSecCheck takes 2,500 characters
 * and does not split longer text itself), cutting after the last sentence end — or else the
 * last whitespace — in each piece, so a phrase is rarely cut in half. Never splits a
 * surrogate pair. Counting UTF-16 units is conservative: a piece never exceeds `max` however
 * WeChat counts.
 */
export function splitForCheck(text: string, max = 2_500): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = lastBreak(rest, max);
    if (cut <= 0) cut = max;
    // a high surrogate at the cut would leave half an emoji on each side
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest || pieces.length === 0) pieces.push(rest);
  return pieces;
}

const SENTENCE_END = /[。！？!?；;\n]/;

/** Index just after the last sentence end (else whitespace) within the first `max` units, past half of it. */
function lastBreak(text: string, max: number): number {
  for (const pattern of [SENTENCE_END, /\s/]) {
    for (let i = max - 1; i >= max / 2; i--) if (pattern.test(text[i]!)) return i + 1;
  }
  return -1;
}
