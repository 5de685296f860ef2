import { readFileSync } from 'node:fs';
import type { CheckRequest, CheckVerdict, ContentChecker } from './content-checker.js';
import { DEFAULT_KEYWORDS } from './default-keywords.js';
import { KeywordMatcher } from './keyword-matcher.js';
import { normalizeText } from './normalize-text.js';

/**
 * The local checker: a keyword list, no network. It works without WeChat (dev mode) and runs
 * first in production, so obvious cases never cost a msgSecCheck call. Matching ignores case,
 * full-width forms, spaces and punctuation between characters (normalize-text.ts).
 *
 * @example
 * const keywords = new KeywordChecker(['代开发票', ...readKeywordsFile('/etc/gateway/terms.txt')]);
 * await keywords.check({ text: '代 开 发 票', openid, scene: 'question' }); // risky
 */
export class KeywordChecker implements ContentChecker {
  readonly name = 'keywords';
  private readonly matcher: KeywordMatcher;

  constructor(terms: Iterable<string> = DEFAULT_KEYWORDS) {
    this.matcher = new KeywordMatcher([...terms].map(normalizeText));
  }

  async check(request: CheckRequest): Promise<CheckVerdict> {
    return this.checkNow(request.text);
  }

  /** The same verdict, synchronously (it never waits on anything). */
  checkNow(text: string): CheckVerdict {
    const term = this.matcher.find(normalizeText(text));
    // the matched term goes to logs and the admin view, never to the user
    return term ? { verdict: 'risky', label: `keyword:${term}`, checker: this.name } : { verdict: 'pass' };
  }
}

/** One term a line; blank lines and lines starting with # are skipped. Throws if unreadable. */
export function readKeywordsFile(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
