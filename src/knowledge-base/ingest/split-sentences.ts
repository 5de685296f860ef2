const ENDS = new Set(['。', '！', '？', '!', '?', '；', ';', '…', '\n']);
const CLOSERS = new Set(['”', '’', '」', '』', '）', ')', ']', '】', '》', '"', "'", '…', '。', '！', '？', '!', '?']);

/**
 * Splits prose after sentence-ending punctuation (。！？；… and their ASCII forms, a `.` only
 * before whitespace so 1.2 and 364.6 stay whole), keeping closing quotes and brackets with
 * their sentence. Concatenating the result gives back the input exactly, so a chunk is always
 * a verbatim span of its document.
 *
 * @example
 * splitSentences('配置好了吗？好了。“是的！”他说') // → ['配置好了吗？', '好了。', '“是的！”', '他说']
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const isEnd = ENDS.has(c) || (c === '.' && (i + 1 === text.length || /\s/.test(text[i + 1]!)));
    if (!isEnd) continue;
    let j = i + 1;
    while (j < text.length && CLOSERS.has(text[j]!)) j++;
    while (j < text.length && /[ \t\u3000\n]/.test(text[j]!)) j++;
    out.push(text.slice(start, j));
    start = j;
    i = j - 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/**
 * Cuts one over-long sentence into pieces of at most `max` characters, preferring clause
 * boundaries (，、：,:) and falling back to a hard cut. Also verbatim when concatenated.
 */
export function splitLongSentence(sentence: string, max: number): string[] {
  const out: string[] = [];
  let rest = sentence;
  while (rest.length > max) {
    let cut = -1;
    for (let i = max; i > max / 2; i--) {
      if ('，、：,: '.includes(rest[i - 1]!)) {
        cut = i;
        break;
      }
    }
    if (cut < 0) cut = max;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest) out.push(rest);
  return out;
}
