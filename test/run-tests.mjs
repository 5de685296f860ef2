// Runs every *.test.ts under src/ and test/ with Node's own test runner.
// Node 20's `--test` takes no globs, so the file list is gathered here.
// Tests that start the real process run the compiled server (dist/, what `npm start` runs):
// when one is selected, dist/ is rebuilt first (incremental: a few seconds when nothing changed),
// so a test never runs code older than src/.
// Usage: node test/run-tests.mjs [path-filter…]
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = ['src', 'test', 'miniprogram', 'bench'];
const filters = process.argv.slice(2);
const files = roots
  .flatMap((root) => {
    try {
      return readdirSync(root, { recursive: true }).map((f) => join(root, String(f)));
    } catch {
      return [];
    }
  })
  .filter((f) => /\.test\.(ts|mjs|js)$/.test(f) && !f.includes('node_modules'))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();

if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
if (files.some((f) => readFileSync(f, 'utf8').includes('support/spawn-server'))) {
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
