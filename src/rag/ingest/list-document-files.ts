import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isSupportedFile } from './parse-document.js';

/**
 * Expands files and directories into the supported files under them (recursively, sorted,
 * skipping dot-files and node_modules). A file named explicitly is returned even when its
 * type is unsupported, so the caller reports it instead of skipping it silently.
 */
export async function listDocumentFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    const info = await stat(path);
    if (info.isDirectory()) await walk(path, out);
    else out.push(path);
  }
  return out;
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile() && isSupportedFile(entry.name)) out.push(path);
  }
}
