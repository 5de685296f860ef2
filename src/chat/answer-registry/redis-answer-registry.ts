import type { RedisClient } from '../../store/redis/create-redis-client.js';
import { AnswerRun, type AnswerResult } from '../answer-run.js';
import { AppError } from '../../protocol/error-catalogue.js';
import { DEFAULT_RETENTION_SECONDS, type AnswerRegistry, type Claim, type LostAnswer, type RequestKey } from './answer-registry.js';
import { AnswerKeys, type SessionKeys } from './redis-answer-keys.js';
import { OwnedAnswer } from './owned-answer.js';
import { CLAIM, FINISH, REAP, RENEW, WITHDRAW } from './redis-answer-scripts.js';
import { RemoteAnswerRun, type EntryFields } from './remote-answer-run.js';
import { decodeResult } from './result-codec.js';
import { requestFingerprint } from './request-fingerprint.js';
import { StreamTail } from './stream-tail.js';
import { closeRedisClient } from '../../store/redis/close-redis-client.js';

/** The registry owns its three connections: close() closes them. */
export interface RedisAnswerRegistryOptions {
  /** commands (claims, stream writes, scripts) */
  client: RedisClient;
  /** subscribed to the cancel channel; used for nothing else */
  subscriber: RedisClient;
  /** blocked in XREAD for the live tails; used for nothing else */
  blocking: RedisClient;
  /** REDIS_KEY_PREFIX */
  prefix: string;
  /** this process, in the answer's hash (for operators) */
  instanceId: string;
  /** the lock's lease, ms: a dead instance's answer is declared lost this long after its last renewal */
  leaseMs: number;
  /** how long request_ids and finished answers are kept, seconds */
  retentionSeconds?: number;
  /** stream entries kept per answer (approximate trim) */
  maxDeltas: number;
  /** how long a follower elsewhere counts after its last heartbeat, ms */
  watchMs?: number;
  /** Redis failures on the side path: count and log them (throttled), never throw */
  onError: (error: Error) => void;
}

/**
 * The registry every instance shares over Redis (see redis-answer-keys.ts for the layout).
 * This instance's runs are published as they go (owned-answer.ts, never awaited on the delta
 * path); answers generated elsewhere are mirrored from their streams (remote-answer-run.ts),
 * whose watcher also declares lost the answers of an instance that died.
 */
export class RedisAnswerRegistry implements AnswerRegistry {
  private readonly keys: AnswerKeys;
  private readonly retention: number;
  private readonly watchMs: number;
  /** this instance's answers, by answer id */
  private readonly owned = new Map<string, OwnedAnswer>();
  private readonly bySession = new Map<string, AnswerRun>();
  /** answers of other instances followed here, by answer id (loading or live) */
  private readonly mirrors = new Map<string, Promise<RemoteAnswerRun | undefined>>();
  private readonly live = new Map<string, RemoteAnswerRun>();
  private readonly tail: StreamTail;
  private lostHandler: (lost: LostAnswer) => Promise<void> = async () => undefined;
  private subscribed: Promise<unknown> | undefined;
  private closing = false;

  constructor(private readonly options: RedisAnswerRegistryOptions) {
    this.keys = new AnswerKeys(options.prefix);
    this.retention = options.retentionSeconds ?? DEFAULT_RETENTION_SECONDS;
    this.watchMs = options.watchMs ?? 3_000;
    this.tail = new StreamTail(options.blocking, options.client, () => this.watchMirrors(), options.onError);
    options.subscriber.on('message', (_channel: string, answerId: string) => this.owned.get(answerId)?.run.cancel());
    // Every reconnect subscribes again, here and not by ioredis (the subscriber is made with
    // autoResubscribe: false): its own SUBSCRIBE has no catch, so a close while it reconnects
    // turned that into an unhandled rejection ("Connection is closed.", seen in CI).
    options.subscriber.on('ready', () => {
      if (this.subscribed && !this.closing) options.subscriber.subscribe(this.keys.cancelChannel).catch(options.onError);
    });
  }

  /**
   * Subscribes to cancel requests (at boot: a cancel sent before would be missed) and loads the
   * scripts, so EVALSHA finds them (its NOSCRIPT fallback would send a FINISH out of order).
   */
  async start(): Promise<void> {
    this.subscribed ??= this.options.subscriber.subscribe(this.keys.cancelChannel);
    await Promise.all([this.subscribed, ...[CLAIM, WITHDRAW, RENEW, FINISH, REAP].map((script) => this.options.client.script('LOAD', script.source))]);
  }

  async claim(run: AnswerRun, request?: RequestKey): Promise<Claim> {
    const keys = this.keys.session(run.ownerKey);
    const requestKey = request ? keys.request(requestFingerprint(run.ownerKey, request)) : '';
    const answer = keys.answer(run.id);
    const { client, instanceId, leaseMs } = this.options;
    const rid = run.requestId === undefined ? '' : JSON.stringify(run.requestId);
    const [kind, id, orphan] = (await CLAIM.run(client, [keys.lock, requestKey, answer.meta, keys.cur], [run.id, instanceId, leaseMs, this.retention, run.openid, rid, keys.base])) as [string, string, string?];
    if (kind === 'busy') return { kind: 'busy' };
    if (kind === 'joined') return { kind: 'joined', run: await this.join(run.ownerKey, id, run.openid) };
    if (orphan) await this.reap(keys, orphan).catch((error: Error) => this.options.onError(error));
    const owned = new OwnedAnswer(run, keys, requestKey, {
      client,
      leaseMs,
      retentionSeconds: this.retention,
      maxDeltas: this.options.maxDeltas,
      onError: this.options.onError,
      ended: () => this.forget(run),
    });
    this.owned.set(run.id, owned);
    this.bySession.set(run.ownerKey, run);
    run.followedElsewhere = async () => (await client.exists(answer.watch)) > 0;
    return { kind: 'claimed' };
  }

  async withdraw(run: AnswerRun): Promise<void> {
    const owned = this.owned.get(run.id);
    if (!owned) return;
    this.forget(run);
    owned.stop();
    await WITHDRAW.run(this.options.client, [owned.keys.lock, owned.requestKey, owned.keys.answer(run.id).meta], [run.id]);
  }

  local(ownerKey: string): AnswerRun | undefined {
    return this.bySession.get(ownerKey);
  }

  localRuns(): AnswerRun[] {
    return [...this.bySession.values()];
  }

  async find(ownerKey: string): Promise<AnswerRun | undefined> {
    const local = this.local(ownerKey);
    if (local) return local;
    const keys = this.keys.session(ownerKey);
    const [lockId, curId] = await this.options.client.mget(keys.lock, keys.cur);
    if (lockId) return this.mirror(ownerKey, lockId);
    // the lease ran out: if that answer never ended, its instance died — end it now
    if (curId) await this.reap(keys, curId);
    return undefined;
  }

  async ended(ownerKey: string, answerId: string): Promise<AnswerResult | undefined> {
    const { stream } = this.keys.session(ownerKey).answer(answerId);
    const last = (await this.options.client.xrevrange(stream, '+', '-', 'COUNT', 1)) as Array<[string, EntryFields]>;
    const fields = last[0]?.[1];
    if (!fields || fields[0] !== 'k' || fields[1] !== 'e') return undefined;
    return decodeResult(fields[3] ?? '{}');
  }

  onLost(handler: (lost: LostAnswer) => Promise<void>): void {
    this.lostHandler = handler;
  }

  /** Stops renewing and tailing, and closes the three connections (the registry owns them). */
  async close(): Promise<void> {
    this.closing = true;
    for (const owned of this.owned.values()) owned.stop();
    await this.tail.close();
    const { client, subscriber } = this.options;
    await Promise.all([client, subscriber].map(closeRedisClient));
  }

  /** A retried request's answer: followed while in flight, else its kept result. */
  private async join(ownerKey: string, answerId: string, openid: string): Promise<AnswerRun> {
    const owned = this.owned.get(answerId);
    if (owned) return owned.run;
    const mirrored = await this.mirror(ownerKey, answerId);
    if (mirrored) return mirrored;
    const result = await this.ended(ownerKey, answerId);
    if (result) return AnswerRun.ended(result, openid, ownerKey);
    throw new Error(`answer ${answerId} of a retried request is neither in flight nor kept`);
  }

  /** Mirrors an answer generated elsewhere; undefined once it has ended (or is unknown). */
  private mirror(ownerKey: string, answerId: string): Promise<RemoteAnswerRun | undefined> {
    let pending = this.mirrors.get(answerId);
    if (!pending) {
      pending = this.loadMirror(ownerKey, answerId).finally(() => {
        if (!this.live.has(answerId)) this.mirrors.delete(answerId);
      });
      this.mirrors.set(answerId, pending);
    }
    return pending;
  }

  private async loadMirror(ownerKey: string, answerId: string): Promise<RemoteAnswerRun | undefined> {
    const { meta, stream } = this.keys.session(ownerKey).answer(answerId);
    const replies = await this.options.client.multi().hmget(meta, 'status', 'openid', 'rid').xrange(stream, '-', '+').exec();
    if (!replies) return undefined;
    for (const [error] of replies) if (error) throw error;
    const [status, openid, rid] = replies[0]![1] as Array<string | null>;
    const entries = replies[1]![1] as Array<[string, EntryFields]>;
    if (status !== 'generating') return undefined;
    const run = new RemoteAnswerRun(answerId, openid ?? '', ownerKey, rid ? (JSON.parse(rid) as string | number) : undefined, {
      cancel: (r) => this.requestCancel(r),
      followed: (r) => void this.heartbeat(r).catch((error: Error) => this.options.onError(error)),
    });
    let lastId = '0';
    for (const [id, fields] of entries) {
      lastId = id;
      if (run.apply(fields)) return undefined;
    }
    this.live.set(answerId, run);
    void run.done.then(() => {
      this.live.delete(answerId);
      this.mirrors.delete(answerId);
      this.tail.remove(stream);
    });
    this.tail.add(stream, lastId, (fields) => run.apply(fields));
    return run;
  }

  /** Cancel from any instance: the owner hears it at once (pub/sub) or at its next renewal (flag). */
  private requestCancel(run: RemoteAnswerRun): void {
    const { meta } = this.keys.session(run.ownerKey).answer(run.id);
    const { client } = this.options;
    client
      .multi()
      .hset(meta, 'cancel', '1')
      .publish(this.keys.cancelChannel, run.id)
      .exec()
      .catch((error: Error) => this.options.onError(error));
  }

  /**
   * About once a second: heartbeats for followed mirrors, and lost-answer checks — all at once
   * (auto-pipelined into one write), since the live tails wait for them.
   */
  private async watchMirrors(): Promise<void> {
    await Promise.all(
      [...this.live.values()].map(async (run) => {
        if (run.followed) await this.heartbeat(run);
        await this.reap(this.keys.session(run.ownerKey), run.id, run);
      }),
    );
  }

  /** "A client follows this answer here": the owner's grace period sees it for `watchMs`. */
  private async heartbeat(run: RemoteAnswerRun): Promise<void> {
    await this.options.client.set(this.keys.session(run.ownerKey).answer(run.id).watch, '1', 'PX', this.watchMs);
  }

  /** Declares an answer lost when its lease ran out unfinished; the one winner stores it. */
  private async reap(keys: SessionKeys, answerId: string, mirror?: RemoteAnswerRun): Promise<void> {
    const { meta, stream } = keys.answer(answerId);
    const outcome = (await REAP.run(this.options.client, [meta, keys.lock, stream], [answerId, this.retention])) as string[] | null;
    if (!outcome) return;
    if (outcome[0] === 'gone') {
      // nothing left to wait for (expired): end the mirror here rather than follow it forever
      mirror?.finish({ id: answerId, text: mirror.text, status: 'failed', error: new AppError('instance_lost') });
      return;
    }
    await this.lostHandler({ id: answerId, openid: outcome[1] ?? '', text: outcome[2] ?? '' }).catch((error: Error) => this.options.onError(error));
  }

  private forget(run: AnswerRun): void {
    this.owned.delete(run.id);
    if (this.bySession.get(run.ownerKey) === run) this.bySession.delete(run.ownerKey);
  }
}
