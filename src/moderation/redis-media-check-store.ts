import type { RedisClient } from '../store/redis/create-redis-client.js';
import { storeCall } from '../store/store-call.js';
import type { MediaCheckRecord, MediaCheckStore, MediaVerdict } from './media-check-store.js';
import { closeRedisClient } from '../store/redis/close-redis-client.js';

/** Claims and trace records are needed until the verdict arrives (minutes); a week is plenty. */
const TRACE_TTL_SECONDS = 7 * 86_400;

/**
 * MediaCheckStore on Redis, shared by every instance (WeChat pushes to whichever one the load
 * balancer picks): `{prefix}media-claim:{upload}` (SET NX), `{prefix}media-trace:{trace}` (a
 * hash; the verdict is set with HSETNX so a replayed push changes nothing), both expiring after
 * a week; flags in `{prefix}media-flags:{openid}` (a hash message id → label) without expiry,
 * like the conversation they flag.
 */
export class RedisMediaCheckStore implements MediaCheckStore {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
    /** close() quits the client */
    private readonly ownsClient = false,
  ) {}

  async claim(uploadId: string): Promise<boolean> {
    return (await storeCall(this.client.set(`${this.prefix}media-claim:${uploadId}`, '1', 'EX', TRACE_TTL_SECONDS, 'NX'))) === 'OK';
  }

  async put(record: MediaCheckRecord): Promise<void> {
    const key = this.#trace(record.traceId);
    const fields = { uploadId: record.uploadId, openid: record.openid, answerId: record.answerId, submittedAt: String(record.submittedAt) };
    await storeCall(this.client.multi().hset(key, fields).expire(key, TRACE_TTL_SECONDS).exec());
  }

  async find(traceId: string): Promise<MediaCheckRecord | undefined> {
    const row = await storeCall(this.client.hgetall(this.#trace(traceId)));
    if (!row.uploadId || !row.openid || !row.answerId) return undefined;
    return {
      traceId,
      uploadId: row.uploadId,
      openid: row.openid,
      answerId: row.answerId,
      submittedAt: Number(row.submittedAt),
      ...(row.verdict && { verdict: row.verdict as MediaVerdict }),
      ...(row.label !== undefined && { label: row.label }),
    };
  }

  async settle(traceId: string, verdict: MediaVerdict, label: string): Promise<boolean> {
    const key = this.#trace(traceId);
    const won = await storeCall(this.client.hsetnx(key, 'verdict', verdict));
    if (won === 1) await storeCall(this.client.hset(key, 'label', label));
    return won === 1;
  }

  async flag(openid: string, messageIds: string[], label: string): Promise<void> {
    if (messageIds.length === 0) return;
    await storeCall(this.client.hset(this.#flags(openid), Object.fromEntries(messageIds.map((id) => [id, label]))));
  }

  async flagsOf(openid: string, messageIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (messageIds.length === 0) return out;
    const labels = await storeCall(this.client.hmget(this.#flags(openid), ...messageIds));
    labels.forEach((label, i) => label !== null && out.set(messageIds[i]!, label));
    return out;
  }

  async close(): Promise<void> {
    if (this.ownsClient) await closeRedisClient(this.client);
  }

  #trace = (traceId: string) => `${this.prefix}media-trace:${traceId}`;
  #flags = (openid: string) => `${this.prefix}media-flags:${openid}`;
}
