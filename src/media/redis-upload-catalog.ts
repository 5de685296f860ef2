import type { RedisClient } from '../store/redis/create-redis-client.js';
import { storeCall } from '../store/store-call.js';
import type { UploadCatalog } from './upload-catalog.js';
import type { StoredUpload } from './upload-store.js';
import { closeRedisClient } from '../store/redis/close-redis-client.js';

/**
 * UploadCatalog on Redis: one JSON string per upload at `{prefix}upload:{id}`, with PX until
 * its expiry so Redis forgets it by itself (takeExpired has nothing to do; the files are swept
 * by age: DiskUploadStore.sweepExpired). Every instance reads the same records; the files must
 * then be on a volume they share (docs/deployment.md).
 */
export class RedisUploadCatalog implements UploadCatalog {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
    /** close() quits the client (the composition root gives uploads a connection of their own) */
    private readonly ownsClient = false,
  ) {}

  put(upload: StoredUpload): Promise<void> {
    const ttl = Math.max(1, Math.ceil(upload.expiresAt - this.now()));
    return storeCall(this.client.set(this.#key(upload.id), JSON.stringify(upload), 'PX', ttl).then(() => undefined));
  }

  async find(id: string): Promise<StoredUpload | undefined> {
    const text = await storeCall(this.client.get(this.#key(id)));
    return text ? (JSON.parse(text) as StoredUpload) : undefined;
  }

  async takeExpired(): Promise<string[]> {
    return [];
  }

  delete(id: string): Promise<void> {
    return storeCall(this.client.del(this.#key(id)).then(() => undefined));
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    await closeRedisClient(this.client);
  }

  #key(id: string): string {
    return `${this.prefix}upload:${id}`;
  }
}
