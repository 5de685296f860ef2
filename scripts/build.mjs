// Compiles src/ to dist/ (what `npm start` runs), incrementally: a build with nothing changed
// takes a second, so `npm start` and `npm test` can always build first.
//
// `--if-typescript` is for the install hooks: `npm ci --omit=dev` (a production image that
// copies a dist/ built elsewhere) runs `prepare` too, without TypeScript; skip quietly there.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  if (process.argv.includes('--if-typescript')) {
    console.log('build skipped: TypeScript is not installed (production install); dist/ must come from a build step');
    process.exit(0);
  }
  console.error('cannot build: TypeScript is not installed — run `npm ci` (with dev dependencies) first');
  process.exit(1);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
