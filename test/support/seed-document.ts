import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The integration document our users wrote their mini-programs against (../shared/seed). */
export const seedDocumentPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'seed', 'mini-program-integration.md');

/** Fenced code blocks of the seed document, in order, with their language tag. */
export function seedCodeBlocks(): Array<{ lang: string; code: string }> {
  const text = readFileSync(seedDocumentPath, 'utf8');
  return [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

/** The first block of `lang` containing `marker`, verbatim. */
export function seedBlock(lang: string, marker: string): string {
  const block = seedCodeBlocks().find((b) => b.lang === lang && b.code.includes(marker));
  if (!block) throw new Error(`no ${lang} block containing ${JSON.stringify(marker)} in ${seedDocumentPath}`);
  return block.code;
}
