import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { isSupportedFile } from './parse-document.js';

export interface DocumentFile {
  path: string;
  /**
   * The document's name (its identity and citation source): a file given directly is its
   * file name; a file found in a directory is its path from that directory's parent, so
   * `kb add kb-sample` names `kb-sample/接入指南.md` whatever the current directory.
   */
  name: string;
}

/**
 * Expands files and directories into the supported files under them (recursively, sorted,
 * skipping dot-files and node_modules). A file named explicitly is returned even when its
 * type is unsupported, so the caller reports it instead of skipping it silently.
 */
export async function listDocumentFiles(paths: readonly string[]): Promise<DocumentFile[]> {
  const out: DocumentFile[] = [];
  for (const path of paths) {
    const info = await stat(path);
    if (info.isDirectory()) await walk(path, dirname(resolve(path)), out);
    else out.push({ path, name: basename(path) });
  }
  return out;
}

async function walk(dir: string, base: string, out: DocumentFile[]): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, base, out);
    else if (entry.isFile() && isSupportedFile(entry.name)) {
      out.push({ path, name: relative(base, resolve(path)).split(sep).join('/') });
    }
  }
}
