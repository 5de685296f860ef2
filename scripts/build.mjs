// Builds what `npm start` runs, in two steps:
//   1. tsc compiles src/ to build/ (type-checked JavaScript, incremental: a second when nothing changed);
//   2. esbuild bundles build/ into dist/: dist/main.js (the server), dist/cli/kb.js (`npm run kb`),
//      dist/parse-worker.js (the knowledge base's parsing thread), dist/admin-index-worker.js (the
//      admin console's index thread), and dist/chunks/ for what
//      they share and what is imported on demand.
// Why a bundle: the server started as ~775 ES modules (210 of ours, ~560 of packages: zod alone
// 95, ajv 88). Resolving and linking that many is what made V8 optimise the module loader at
// start, and each module keeps its own records: one bundle starts with ~10 MB less RSS on
// Node 24 (docs/performance.md). Packages loaded only on demand, native addons and packages
// that read files beside themselves stay in node_modules (EXTERNAL).
//
// `--if-typescript` is for the install hooks: `npm ci --omit=dev` (a production image that
// copies a dist/ built elsewhere) runs `prepare` too, without TypeScript; skip quietly there.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { builtinModules, createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Imported from node_modules at run time, never bundled: native addons (better-sqlite3,
 * @node-rs/jieba, sharp), packages that load files or workers of their own (silk-wasm,
 * pdf-parse), and the packages a gateway loads only when its configuration uses them — they
 * stay out of the start-up bundle, and test/lazy-loading.test.ts can still see that they are
 * not loaded.
 */
const EXTERNAL = [
  'better-sqlite3',
  '@node-rs/jieba',
  'sharp',
  'silk-wasm',
  'pdf-parse',
  'mammoth',
  'music-metadata',
  'openai',
  'ioredis',
  '@fastify/static',
  'cli-progress',
  'pino-pretty',
];

/**
 * `await import('a-package')` of a bundled CommonJS package keeps only its default export in an
 * esbuild chunk: `const { Named } = await import(…)` would be undefined at run time, though it
 * works under tsx. Such a package is imported statically by one of our modules, which is
 * itself imported on demand (see src/observability/prom-metrics.ts), or it goes to EXTERNAL.
 */
const dynamicImportsStayExternal = {
  name: 'dynamic-imports-stay-external',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind !== 'dynamic-import' || args.path.startsWith('node:') || builtinModules.includes(args.path)) return undefined;
      const name = args.path.split('/').slice(0, args.path.startsWith('@') ? 2 : 1).join('/');
      if (EXTERNAL.includes(name)) return undefined;
      return { errors: [{ text: `import('${args.path}') of a bundled package: import it statically from a module of ours, or add it to EXTERNAL` }] };
    });
  },
};

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));

let tsc;
let esbuild;
try {
  tsc = require.resolve('typescript/bin/tsc');
  esbuild = await import('esbuild');
} catch {
  if (process.argv.includes('--if-typescript')) {
    console.log('build skipped: TypeScript or esbuild is not installed (production install); dist/ must come from a build step');
    process.exit(0);
  }
  console.error('cannot build: TypeScript or esbuild is not installed — run `npm ci` (with dev dependencies) first');
  process.exit(1);
}

const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

// chunk names change with their content: start from an empty dist/ so none is left over
rmSync(join(root, 'dist'), { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: {
    main: 'build/main.js',
    'cli/kb': 'build/cli/kb.js',
    'parse-worker': 'build/knowledge-base/ingest/parse-worker.js',
    'admin-index-worker': 'build/admin/sqlite/admin-index-worker.js',
  },
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // not keepNames: it wraps every function made at run time (closures too) in a helper call, 1.6 %
  // of the CPU of a chat intake; our error classes set their `name` themselves
  // maps back to src/*.ts through tsc's maps (`node --enable-source-maps dist/main.js`)
  sourcemap: true,
  // CommonJS packages inside an ES module bundle still call require() for Node's built-ins
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  plugins: [dynamicImportsStayExternal],
  logLevel: 'warning',
}).catch(() => process.exit(1));
