/** Suggestions sent per answer at most. */
export const MAX_SUGGESTIONS = 3;
/** Longest suggestion, in characters (code points): one line on a phone. */
export const MAX_SUGGESTION_CHARS = 30;

/** Raw model output read at most: a runaway reply is not parsed past this. */
const MAX_RAW_CHARS = 4_000;

const HAN = /\p{Script=Han}/u;

/**
 * The candidate questions in a model's reply, as the prompt asks for them (a JSON array of
 * strings) or as models actually answer: the array inside a ```json fence or after a preamble,
 * or one question per line with "1." / "-" / "•" markers. Never throws; garbage gives [] or
 * lines that cleanSuggestions then drops.
 *
 * @example
 * parseSuggestionText('```json\n["退货运费谁出？","多久到账？"]\n```') // ['退货运费谁出？', '多久到账？']
 * parseSuggestionText('1. 退货运费谁出？\n2. 多久到账？')             // the same two
 */
export function parseSuggestionText(raw: string): string[] {
  const text = raw.slice(0, MAX_RAW_CHARS);
  const open = text.indexOf('[');
  const close = text.lastIndexOf(']');
  if (open >= 0 && close > open) {
    try {
      const parsed: unknown = JSON.parse(text.slice(open, close + 1));
      if (Array.isArray(parsed)) return parsed.filter((item): item is string => typeof item === 'string');
    } catch {
      // not JSON after all: the quoted strings, or the lines
    }
  }
  if (open >= 0) {
    // an array cut short (the token cap) or slightly off: its complete "…" strings
    const quoted = [...text.slice(open).matchAll(/"((?:[^"\\\n]|\\.)*)"/g)].map((m) => unescape(m[1]!));
    if (quoted.length > 0) return quoted;
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/^\s*(?:[-*•·]|\d{1,2}\s*[.、)）:：]|[（(]\d{1,2}[)）])\s*/u, ''))
    .filter((line) => !/^\s*(?:```|\[|\])/.test(line));
}

function unescape(json: string): string {
  try {
    return JSON.parse(`"${json}"`) as string;
  } catch {
    return json;
  }
}

/**
 * What may be shown: trimmed, one line, without list markers, quotes or Markdown emphasis;
 * Chinese (at least one Han character), at most 30 characters; no two alike and none equal to
 * `question` (compared without spaces, punctuation and case); at most three, in order.
 */
export function cleanSuggestions(candidates: readonly string[], question: string, max = MAX_SUGGESTIONS): string[] {
  const seen = new Set<string>([sameness(question)]);
  const out: string[] = [];
  for (const candidate of candidates) {
    if (out.length >= max) break;
    const text = tidy(candidate);
    if (text === '' || Array.from(text).length > MAX_SUGGESTION_CHARS || !HAN.test(text)) continue;
    const key = sameness(text);
    if (key === '' || seen.has(key)) continue;
    seen.add(key);
    out.push(text);
  }
  return out;
}

function tidy(candidate: string): string {
  const text = candidate
    .replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .replace(/\*\*|__|`/g, '')
    .trim()
    .replace(/^["'“”‘’]+|["'“”‘’]+$/gu, '')
    .trim();
  // "「退货流程」" is a quoted question; 「退货流程」是怎样的？ keeps its brackets
  return /^「[^「」]*」$/u.test(text) ? text.slice(1, -1).trim() : text;
}

/** Two questions are the same one when they differ only in spaces, punctuation and case. */
function sameness(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\s\p{P}\p{S}]+/gu, '');
}
