import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { usableCpus } from '../runtime/usable-cpus.js';
import { serveClusterMetrics } from './serve-cluster-metrics.js';

/** WORKERS → a process count: `auto` is one per CPU the machine (or the container's quota) gives this process. */
export function resolveWorkerCount(workers: number | 'auto', cpus = usableCpus()): number {
  return workers === 'auto' ? cpus : workers;
}

export interface RunWorkersOptions {
  count: number;
  logger: Logger;
  /** SHUTDOWN_GRACE_MS: how long each worker may drain; a worker still alive well after it is killed */
  graceMs: number;
  /** crash restarts wait 1 s, doubling per crash in the last minute, up to this (ms) */
  maxRestartDelayMs?: number;
  /** METRICS_PORT (and METRICS_TOKEN): the primary serves the workers' metrics summed there */
  metrics?: { host: string; port: number; token?: string };
}

/** What a worker needs beyond its grace period to close sockets and stores, ms. */
const CLOSE_MARGIN_MS = 10_000;
/** Crashes further apart than this do not add to the restart backoff, ms. */
const CRASH_WINDOW_MS = 60_000;

/**
 * The primary of `WORKERS=n`: forks n copies of this entry point (node:cluster), which share the
 * listening port (the primary hands out connections round-robin). It holds no sockets, no
 * adapters and no Redis connection itself; every worker is a complete gateway whose shared
 * state is in Redis.
 *
 * - The first worker starts alone, so the knowledge base's SQLite schema and sample documents
 *   are set up once; the others start when it listens. If it cannot start (bad Redis, taken
 *   port), it has printed why and the primary exits 1 instead of restarting it forever.
 * - A worker that dies later is restarted after a backoff, logged.
 * - SIGTERM/SIGINT: each worker gets SIGTERM and runs its own graceful shutdown (stop accepting,
 *   finish answers up to SHUTDOWN_GRACE_MS, close); the primary resolves once all have exited —
 *   0 if every worker exited cleanly — killing any still alive after grace + a margin.
 *
 * @returns the exit code for the primary
 */
export async function runWorkers(options: RunWorkersOptions): Promise<number> {
  const { count, logger, graceMs } = options;
  const maxRestartDelayMs = options.maxRestartDelayMs ?? 30_000;
  let stopping = false;
  let exitCode = 0;
  let firstListening = false;
  const crashes: number[] = [];
  const restartTimers = new Set<NodeJS.Timeout>();
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));

  const alive = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  const finishIfAllGone = () => {
    if (stopping && alive().length === 0 && restartTimers.size === 0) resolveDone(exitCode);
  };

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.once('listening', () => {
      logger.info({ worker: worker.id, pid: worker.process.pid }, 'worker listening');
      if (firstListening) return;
      firstListening = true;
      for (let i = 1; i < count && !stopping; i++) fork();
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      // SIGTERM kills a worker that was still starting (no handler yet): that is a clean stop too
      if (code !== 0 && signal !== 'SIGTERM') exitCode = 1;
      logger.info({ worker: worker.id, code, signal }, 'worker stopped');
      finishIfAllGone();
      return;
    }
    if (!firstListening) {
      // its one-line reason is already on stderr; restarting would print it forever
      logger.error({ worker: worker.id, code, signal }, 'the first worker could not start: stopping');
      stopping = true;
      exitCode = 1;
      for (const other of alive()) other.process.kill('SIGTERM');
      finishIfAllGone();
      return;
    }
    const now = Date.now();
    crashes.push(now);
    while (crashes.length > 0 && now - crashes[0]! > CRASH_WINDOW_MS) crashes.shift();
    const delayMs = Math.min(1_000 * 2 ** (crashes.length - 1), maxRestartDelayMs);
    logger.error({ worker: worker.id, code, signal, restartInMs: delayMs }, 'worker died: restarting it');
    const timer = setTimeout(() => {
      restartTimers.delete(timer);
      if (stopping) return finishIfAllGone();
      const replacement = fork();
      logger.info({ worker: replacement.id, replaces: worker.id }, 'worker restarted');
    }, delayMs);
    restartTimers.add(timer);
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: alive().length }, 'signal received: draining every worker');
    for (const timer of restartTimers) clearTimeout(timer);
    restartTimers.clear();
    for (const worker of alive()) worker.process.kill('SIGTERM');
    // a worker stuck past its own deadline must not keep the machine from stopping
    setTimeout(() => {
      for (const worker of alive()) {
        logger.error({ worker: worker.id }, 'worker did not stop in time: killing it');
        exitCode = 1;
        worker.process.kill('SIGKILL');
      }
    }, graceMs + CLOSE_MARGIN_MS).unref();
    finishIfAllGone();
  };
  // `on`, not `once`: a second signal must not kill the primary mid-drain, which would make
  // every worker exit at once (a cluster worker exits when its IPC channel closes)
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const metricsServer = options.metrics && (await serveClusterMetrics({ ...options.metrics, logger }));
  logger.info({ workers: count }, 'starting worker processes');
  fork();
  const code = await done;
  await metricsServer?.close();
  return code;
}
