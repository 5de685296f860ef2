/**
 * `--node=<path>`: run the gateway (only the gateway) on another Node, e.g. Node 24. Native
 * addons are built per ABI: when that Node's ABI differs from this one's, the gateway runs from
 * a scratch copy of dist/ whose node_modules links every package except better-sqlite3, which
 * is copied with the addon built for that ABI (found beside the Node, or given by
 * --sqlite-addon). The project's own node_modules is never touched.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFlags } from '../../test/support/spawn-server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface NodeRuntime {
  /** `node --version` of that Node */
  version: string;
  /** the argv that starts the compiled gateway on it */
  command: [string, string[]];
  cleanup(): void;
}

function findAddon(node: string, abi: string, given?: string): string {
  if (given) return given;
  // e.g. /root/.cache/node24/package/bin/node → /root/.cache/node24/better-sqlite3-12.11.1-abi137.node
  for (let dir = dirname(node), i = 0; i < 4; dir = dirname(dir), i++) {
    const found = existsSync(dir) ? readdirSync(dir).find((f) => f.startsWith('better-sqlite3-') && f.endsWith(`-abi${abi}.node`)) : undefined;
    if (found) return join(dir, found);
  }
  throw new Error(`--node: no better-sqlite3 addon for ABI ${abi} next to ${node}; pass --sqlite-addon=<file.node>`);
}

/** `node --version` of the Node a gateway command runs on (this one's when none is given). */
export function gatewayVersion(command: [string, string[]] | undefined): string {
  return command ? execFileSync(command[0], ['--version']).toString().trim() : process.version;
}

/**
 * The same command with Node/V8 flags right before its entry point (`--node-flags`): after
 * npm start's own flags, so that a flag given again (`--max-semi-space-size=32`) overrides it.
 */
export function withNodeFlags([node, args]: [string, string[]], flags: readonly string[]): [string, string[]] {
  return [node, [...args.slice(0, -1), ...flags, ...args.slice(-1)]];
}

export function prepareNodeRuntime(
  node: string,
  sqliteAddon?: string,
  /** the build to run (`--base`: another one's); default: this checkout's */
  dist = join(root, 'dist'),
): NodeRuntime {
  const [version, abi] = execFileSync(node, ['-p', '`${process.version} ${process.versions.modules}`']).toString().trim().split(' ') as [string, string];
  if (abi === process.versions.modules) return { version, command: [node, [...startFlags(), join(dist, 'main.js')]], cleanup: () => {} };
  const addon = findAddon(node, abi, sqliteAddon);
  const shadow = mkdtempSync(join(tmpdir(), `wag-node${abi}-`));
  cpSync(dist, join(shadow, 'dist'), { recursive: true });
  copyFileSync(join(root, 'package.json'), join(shadow, 'package.json')); // "type": "module"
  mkdirSync(join(shadow, 'node_modules'));
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry === 'better-sqlite3' || entry.startsWith('.')) continue;
    symlinkSync(join(root, 'node_modules', entry), join(shadow, 'node_modules', entry));
  }
  const sqlite = join(shadow, 'node_modules', 'better-sqlite3');
  cpSync(join(root, 'node_modules', 'better-sqlite3'), sqlite, { recursive: true, dereference: true });
  copyFileSync(addon, join(sqlite, 'build', 'Release', 'better_sqlite3.node'));
  return { version, command: [node, [...startFlags(), join(shadow, 'dist', 'main.js')]], cleanup: () => rmSync(shadow, { recursive: true, force: true }) };
}
