import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { UploadCatalog } from './upload-catalog.js';
import type { NewUpload, StoredUpload, UploadStore, UploadWriter } from './upload-store.js';

export interface DiskUploadStoreOptions {
  /** UPLOAD_DIR: files are `<dir>/<id>`, temp files `<dir>/tmp/<host>~<pid>~<random>.part` */
  dir: string;
  catalog: UploadCatalog;
  /** UPLOAD_TTL_HOURS in ms */
  ttlMs: number;
  logger?: Logger;
  /** tests move time past an upload's expiry instead of sleeping */
  now?: () => number;
  /** how often the sweep runs, ms; 0 = never (tests call sweepExpired) */
  sweepEveryMs?: number;
}

/** 18 random bytes = 144 bits, 24 base64url characters: unguessable, and safe as a file name. */
const ID_PATTERN = /^[A-Za-z0-9_-]{24}$/;
/** A file with no record yet is this young at most (rename, then the record is written). */
const RECORD_GRACE_MS = 60_000;
/** A temp file older than this is an abandoned upload whatever wrote it (requests end within HTTP_REQUEST_TIMEOUT_MS ≤ 10 min). */
const STALE_TEMP_MS = 3_600_000;
const HOST = hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'host';

/**
 * Uploads as files named by a random id (never by anything the client sent) plus a record in
 * an UploadCatalog. Reads check owner and expiry: another user's or an expired id is
 * undefined, exactly like an unknown one. Expired uploads are swept periodically (an unref'd
 * timer), and temp files left by a crash (kill -9 mid-upload) are removed when the store opens.
 *
 * @example
 * const uploads = await DiskUploadStore.open({ dir: 'data/uploads', catalog, ttlMs: 24 * 3_600_000 });
 * const upload = await uploads.get(openid, uploadId); // undefined → 404 upload_not_found
 * const bytes = upload && (await uploads.read(upload));
 */
export class DiskUploadStore implements UploadStore, UploadWriter {
  readonly #dir: string;
  readonly #tmp: string;
  readonly #catalog: UploadCatalog;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #logger: Logger | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(options: DiskUploadStoreOptions) {
    this.#dir = options.dir;
    this.#tmp = join(options.dir, 'tmp');
    this.#catalog = options.catalog;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
  }

  /** Creates the directories, removes this host's crashed temp files, starts the sweep. */
  static async open(options: DiskUploadStoreOptions): Promise<DiskUploadStore> {
    const store = new DiskUploadStore(options);
    await mkdir(store.#tmp, { recursive: true });
    const orphans = await store.#cleanTemp(true);
    if (orphans > 0) options.logger?.info({ orphans }, 'removed temp files of interrupted uploads');
    const every = options.sweepEveryMs ?? 10 * 60_000;
    if (every > 0) {
      store.#timer = setInterval(() => {
        store.sweepExpired().catch((error: unknown) => store.#logger?.warn({ error: String(error) }, 'upload sweep failed'));
      }, every);
      store.#timer.unref();
    }
    return store;
  }

  async get(openid: string, uploadId: string): Promise<StoredUpload | undefined> {
    if (typeof uploadId !== 'string' || !ID_PATTERN.test(uploadId)) return undefined;
    const upload = await this.#catalog.find(uploadId);
    if (!upload || upload.openid !== openid || upload.expiresAt <= this.#now()) return undefined;
    return upload;
  }

  read(upload: StoredUpload): Promise<Buffer> {
    return readFile(this.#file(upload.id));
  }

  open(upload: StoredUpload): Readable {
    return createReadStream(this.#file(upload.id));
  }

  tempFile(): string {
    return join(this.#tmp, `${HOST}~${process.pid}~${randomBytes(12).toString('base64url')}.part`);
  }

  async save(tempFile: string, upload: NewUpload): Promise<StoredUpload> {
    const id = randomBytes(18).toString('base64url');
    const createdAt = this.#now();
    const stored: StoredUpload = { id, ...upload, createdAt, expiresAt: createdAt + this.#ttlMs };
    const file = this.#file(id);
    await rename(tempFile, file);
    try {
      await this.#catalog.put(stored);
    } catch (error) {
      await unlink(file).catch(() => {});
      throw error;
    }
    return stored;
  }

  async discard(tempFile: string): Promise<void> {
    await unlink(tempFile).catch(() => {});
  }

  async delete(uploadId: string): Promise<void> {
    if (!ID_PATTERN.test(uploadId)) return;
    // record first: once it is gone no reader can find the file, even if the unlink fails
    await this.#catalog.delete(uploadId);
    await remove(this.#file(uploadId));
  }

  async sweepExpired(): Promise<number> {
    const now = this.#now();
    let removed = 0;
    for (let ids = await this.#catalog.takeExpired(now, 500); ids.length > 0; ids = await this.#catalog.takeExpired(now, 500)) {
      for (const id of ids) if (await remove(this.#file(id))) removed++;
    }
    // files whose record is gone or expired by itself (Redis), or never written (a crash
    // between rename and record): by age, with the same TTL
    for (const name of await readdir(this.#dir)) {
      if (!ID_PATTERN.test(name)) continue;
      const file = join(this.#dir, name);
      const info = await stat(file).catch(() => undefined);
      if (info?.isFile() && info.mtimeMs < now - this.#ttlMs - RECORD_GRACE_MS && (await remove(file))) removed++;
    }
    await this.#cleanTemp(false);
    return removed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#catalog.close();
  }

  #file(id: string): string {
    if (!ID_PATTERN.test(id)) throw new Error('not an upload id');
    return join(this.#dir, id);
  }

  /**
   * Temp files of uploads that will never finish: this host's whose process is gone (at open,
   * our own pid's too: a restarted container reuses pid 1, and nothing is in flight yet), and
   * anyone's older than an hour (instances sharing the directory never touch each other's
   * uploads in progress).
   */
  async #cleanTemp(atOpen: boolean): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.#tmp)) {
      const file = join(this.#tmp, name);
      const [host, pid] = name.split('~');
      const mine = host === HOST && pid !== undefined && (Number(pid) === process.pid ? atOpen : !alive(Number(pid)));
      const info = mine ? undefined : await stat(file).catch(() => undefined);
      const stale = info !== undefined && info.mtimeMs < this.#now() - STALE_TEMP_MS;
      if ((mine || stale) && (await remove(file))) removed++;
    }
    return removed;
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function remove(file: string): Promise<boolean> {
  try {
    await unlink(file);
    return true;
  } catch {
    return false; // another instance sharing the directory got there first
  }
}
