/**
 * Resident memory of a process that opened an empty knowledge base and did nothing else: what
 * the knowledge base adds to an idle gateway. Run once per variant, in a fresh process each:
 *
 *   node --expose-gc --import tsx bench/kb-idle-rss.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
const settle = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage();
};

const dir = mkdtempSync(join(tmpdir(), 'kb-rss-'));
try {
  const before = settle();
  // Imported here, not above: loading the modules is part of what is measured.
  const { openKnowledgeBase } = await import('../src/knowledge-base/knowledge-base.js');
  const { openSqliteKbStore } = await import('../src/knowledge-base/store/sqlite-kb-store.js');
  const kb = await openKnowledgeBase({ store: openSqliteKbStore(join(dir, 'kb.sqlite')) });
  const after = settle();
  console.log(
    `rss before importing ${mb(before.rss)} MB, after importing and opening an empty knowledge base ${mb(after.rss)} MB ` +
      `(+${mb(after.rss - before.rss)}); heap used ${mb(after.heapUsed)} MB, external ${mb(after.external)} MB`,
  );
  await kb.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
