/**
 * The UploadStore port over a real directory, for tests written before the upload route's own
 * driver existed: files on disk, a JSON record beside each, expiry by the clock. `put` is what
 * `POST /wechat/upload` does after sniffing the type; tests call it directly.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, mkdirSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { StoredUpload, UploadKind, UploadStore } from '../../src/media/upload-store.js';

export class DirUploadStore implements UploadStore {
  constructor(
    private readonly dir: string,
    private readonly now: () => number = Date.now,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  async put(openid: string, kind: UploadKind, mime: string, data: Buffer, ttlMs = 24 * 3_600_000): Promise<StoredUpload> {
    const createdAt = this.now();
    const upload: StoredUpload = { id: `up_${randomUUID().replaceAll('-', '')}`, openid, kind, mime, bytes: data.length, createdAt, expiresAt: createdAt + ttlMs };
    await writeFile(join(this.dir, upload.id), data);
    await writeFile(join(this.dir, `${upload.id}.json`), JSON.stringify(upload));
    return upload;
  }

  /** Removes the bytes, as expiry cleanup would, keeping nothing. */
  async remove(id: string): Promise<void> {
    await rm(join(this.dir, id), { force: true });
    await rm(join(this.dir, `${id}.json`), { force: true });
  }

  async get(openid: string, uploadId: string): Promise<StoredUpload | undefined> {
    if (!/^up_[0-9a-f]{32}$/.test(uploadId)) return undefined;
    let upload: StoredUpload;
    try {
      upload = JSON.parse(await readFile(join(this.dir, `${uploadId}.json`), 'utf8')) as StoredUpload;
    } catch {
      return undefined;
    }
    return upload.openid === openid && upload.expiresAt > this.now() ? upload : undefined;
  }

  read(upload: StoredUpload): Promise<Buffer> {
    return readFile(join(this.dir, upload.id));
  }

  open(upload: StoredUpload): Readable {
    return createReadStream(join(this.dir, upload.id));
  }
}
