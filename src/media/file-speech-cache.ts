import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { CachedSpeech, SpeechCache } from './speech-cache.js';

export interface FileSpeechCacheOptions {
  /** e.g. DATA_DIR/speech */
  dir: string;
  /** recordings older than this are deleted, ms; 0 = kept forever */
  maxAgeMs: number;
  /** how often old recordings are swept, ms (default 1 h) */
  sweepMs?: number;
}

/**
 * Recordings as files `<key>.mp3` in one directory (DATA_DIR/speech). Written to a temporary
 * name and renamed, so a crash mid-write never leaves a short file under the real name. One
 * directory serves every instance only when DATA_DIR is shared; otherwise each instance keeps
 * its own (a replay on another instance synthesizes again: correct, only dearer).
 */
export class FileSpeechCache implements SpeechCache {
  private readonly sweeper: NodeJS.Timeout | undefined;

  private constructor(private readonly options: FileSpeechCacheOptions) {
    if (options.maxAgeMs > 0) {
      this.sweeper = setInterval(() => void this.sweep(), options.sweepMs ?? 3_600_000);
      this.sweeper.unref();
    }
  }

  static async open(options: FileSpeechCacheOptions): Promise<FileSpeechCache> {
    await mkdir(options.dir, { recursive: true });
    const cache = new FileSpeechCache(options);
    await cache.sweep();
    return cache;
  }

  async find(key: string): Promise<CachedSpeech | undefined> {
    const path = this.path(key);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    return { bytes: info.size, open: (range) => createReadStream(path, range) };
  }

  async save(key: string, audio: Buffer): Promise<void> {
    const temp = join(this.options.dir, `.${key}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temp, audio);
      await rename(temp, this.path(key));
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  /** Deletes recordings past their age, and temporary files a crash left behind. */
  async sweep(): Promise<void> {
    const { dir, maxAgeMs } = this.options;
    const names = await readdir(dir).catch(() => [] as string[]);
    const now = Date.now();
    for (const name of names) {
      // only our recordings and their temporary files (url-key lives here too)
      if (!name.endsWith('.mp3') && !name.endsWith('.tmp')) continue;
      const path = join(dir, name);
      const info = await stat(path).catch(() => undefined);
      if (!info) continue;
      const age = now - info.mtimeMs;
      const stale = name.endsWith('.tmp') ? age > 3_600_000 : maxAgeMs > 0 && age > maxAgeMs;
      if (stale) await unlink(path).catch(() => undefined);
    }
  }

  private path(key: string): string {
    // keys are hex digests (speechCacheKey); anything else never reaches the file system
    if (!/^[0-9a-f]{16,128}$/.test(key)) throw new Error(`bad speech cache key: ${key}`);
    return join(this.options.dir, `${key}.mp3`);
  }
}
