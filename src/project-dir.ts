import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's own directory (the one with package.json), where the files served or read at
 * run time live: console/, admin/, miniprogram/lib/, kb-sample/, dist/. Found by walking up
 * from this module rather than by a fixed `../..`, because this module runs from src/ (tsx),
 * and from dist/ or dist/chunks/ inside the bundle (scripts/build.mjs).
 */
export const projectDir = findProjectDir(dirname(fileURLToPath(import.meta.url)));

/** A path under the project's directory. */
export const projectPath = (...parts: string[]): string => join(projectDir, ...parts);

function findProjectDir(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}: the gateway must run from its project directory`);
  }
}
