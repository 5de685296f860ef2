/**
 * The three deployments scenario 8 compares, all on one real Redis (REDIS_URL, default the
 * local 127.0.0.1:6379) with a key prefix of their own, removed afterwards: one gateway process,
 * two gateway processes on their own ports (one deployment: same prefix), and one process with
 * WORKERS=2 (node:cluster; its CPU is the primary's and the workers').
 */
import { ALL_CPUS } from '../support/cpu-pin.js';
import { Redis } from 'ioredis';
import type { SpawnedServer } from '../../test/support/spawn-server.js';
import { startGatewayProcess } from '../support/gateway-process.js';
import type { BenchContext } from './bench-context.js';

export interface ScaleTarget {
  name: string;
  /** the ws URLs clients are spread over, round-robin */
  wsUrls: string[];
  /** processes whose trees' CPU is the target's */
  pids: number[];
  servers: SpawnedServer[];
  keyPrefix: string;
}

export const TARGET_SHAPES = [
  { name: '1 instance', instances: 1, workers: 1 },
  { name: '2 instances', instances: 2, workers: 1 },
  { name: 'WORKERS=2', instances: 1, workers: 2 },
] as const;

export const benchRedisUrl = (): string => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Why Redis cannot be used, or undefined when it answers PING. */
export async function redisUnavailable(url: string): Promise<string | undefined> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return `Redis at ${url} does not answer (${String(error)})`;
  } finally {
    redis.disconnect();
  }
}

/** Starts all three; if one fails, stops (and cleans up after) those already started. */
export async function startTargets(ctx: BenchContext, modelUrl: string, redisUrl: string): Promise<ScaleTarget[]> {
  const targets: ScaleTarget[] = [];
  try {
    await startEach(ctx, modelUrl, redisUrl, targets);
  } catch (error) {
    await stopTargets(targets, redisUrl);
    throw error;
  }
  return targets;
}

async function startEach(ctx: BenchContext, modelUrl: string, redisUrl: string, targets: ScaleTarget[]): Promise<void> {
  for (const [i, shape] of TARGET_SHAPES.entries()) {
    const keyPrefix = `bench-scale-${process.pid}-${i}:`;
    const servers: SpawnedServer[] = [];
    targets.push({ name: shape.name, wsUrls: [], pids: [], servers, keyPrefix });
    for (let n = 0; n < shape.instances; n++) {
      servers.push(
        await startGatewayProcess({
          llmBaseUrl: modelUrl,
          wechat: ctx.wechat,
          coalesceMs: ctx.options.coalesceMs,
          command: ctx.gatewayCommand,
          env: { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: keyPrefix, WORKERS: String(shape.workers) },
        }, ALL_CPUS),
      );
    }
    targets.at(-1)!.wsUrls.push(...servers.map((s) => s.wsUrl));
    targets.at(-1)!.pids.push(...servers.map((s) => s.child.pid!));
  }
}

/** Stops every gateway, then deletes every key the targets wrote. */
export async function stopTargets(targets: readonly ScaleTarget[], redisUrl: string): Promise<number> {
  for (const target of targets) for (const server of target.servers) await server.stop().catch(() => {});
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    for (const { keyPrefix } of targets) {
      for await (const keys of redis.scanStream({ match: `${keyPrefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
        if (keys.length > 0) deleted += await redis.unlink(...keys);
      }
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}
