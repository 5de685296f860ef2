import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The integration document our users wrote their mini-programs against (../shared/seed). */
export const seedDocumentPath = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'seed', 'mini-program-integration.md');

/**
 * The seed document's text. It lives outside this repository (beside it, in ../shared), so a
 * clone without it gets a message naming the missing file, not a bare ENOENT.
 */
export function readSeedDocument(): string {
  if (!existsSync(seedDocumentPath)) {
    throw new Error(
      `the seed document is missing: ${seedDocumentPath} does not exist. ` +
        'These tests run the code of the integration document our users built against; ' +
        'check out the shared folder beside this repository (../shared/seed/mini-program-integration.md).',
    );
  }
  return readFileSync(seedDocumentPath, 'utf8');
}

/** Fenced code blocks of the seed document, in order, with their language tag. */
export function seedCodeBlocks(): Array<{ lang: string; code: string }> {
  return [...readSeedDocument().matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

/** The first block of `lang` containing `marker`, verbatim. */
export function seedBlock(lang: string, marker: string): string {
  const block = seedCodeBlocks().find((b) => b.lang === lang && b.code.includes(marker));
  if (!block) throw new Error(`no ${lang} block containing ${JSON.stringify(marker)} in ${seedDocumentPath}`);
  return block.code;
}
