/**
 * The server, started by main.ts (which reads only ENV_FILE and GC_MODE before it): load config from process.env → compose adapters
 * (src/compose/) → createApp → listen → stop cleanly on SIGTERM/SIGINT.
 * Anything that keeps the gateway from starting ends the process with one line in Chinese and
 * English, never a stack trace: operators read it in `journalctl` at 3 a.m.
 */
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { resolveWorkerCount, runWorkers } from './cluster/run-workers.js';
import { composeAdapters } from './compose/compose-adapters.js';
import { StartupError } from './compose/startup-error.js';
import { ConfigError, loadConfig } from './config/load-config.js';
import { createLogger, prettyDestination } from './observability/logger.js';
import { gcInUse, whyNotRestarted } from './runtime/gc-mode.js';
import { usableCpus } from './runtime/usable-cpus.js';
import { describeListenError, describeNativeModuleError, describeSqliteError, startupBanner } from './startup-messages.js';

function fail(prefix: string, message: string): never {
  console.error(`${prefix}: ${message}`);
  process.exit(1);
}

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  fail('配置错误 / configuration error', error.message);
}

const pretty = (config.logFormat ?? (config.env === 'development' && process.stdout.isTTY ? 'pretty' : 'json')) === 'pretty';
const rootLogger = createLogger({ level: config.logLevel, destination: pretty ? await prettyDestination() : undefined });
// WORKERS=n: every line says which worker wrote it
const logger = cluster.isWorker ? rootLogger.child({ worker: cluster.worker?.id }) : rootLogger;

const cpus = usableCpus();
const gc = gcInUse(config.gcMode, cpus, process.execArgv);
if (gc.missing && !cluster.isWorker) {
  logger.warn(
    { cpus, gcMode: config.gcMode },
    `GC_MODE=${config.gcMode}: single-threaded GC wanted, but Node did not restart itself with it — ${whyNotRestarted()}: ` +
      'start it as `node --single-threaded-gc --max-semi-space-size=8 dist/main.js`, or set GC_MODE=parallel to silence this',
  );
}

// WORKERS=n: this process only supervises; each worker runs this file again and goes on below
const workers = resolveWorkerCount(config.workers, cpus);
if (cluster.isPrimary && workers > 1) {
  const { port: metricsPort, token } = config.metrics;
  const metrics = metricsPort === undefined ? undefined : { host: config.host, port: metricsPort, token };
  const code = await runWorkers({ count: workers, logger, graceMs: config.shutdownGraceMs, metrics }).catch((error: unknown) => {
    const message = describeListenError(error, config.host, metricsPort ?? 0, 'METRICS_PORT');
    if (!message) throw error;
    return fail('启动失败 / startup failed', message);
  });
  process.exit(code);
}

let adapters;
try {
  adapters = await composeAdapters(config, logger);
} catch (error) {
  const message = error instanceof StartupError ? error.message : (describeNativeModuleError(error) ?? describeSqliteError(error, config.dataDir));
  if (!message) throw error;
  fail('启动失败 / startup failed', message);
}
const { model, wechat } = adapters;
if (!model) logger.warn('LLM_BASE_URL is not set: offline mode, answers come from the knowledge base without a model');
if (wechat.mode === 'dev') {
  logger.warn(
    '!!! WECHAT_APPID is not set: DEV LOGIN is on — any code logs in as a user derived from it. ' +
      'Never expose this server publicly; set WECHAT_APPID and WECHAT_APP_SECRET (required with NODE_ENV=production).',
  );
}

const app = await createApp({ config, logger, ...adapters });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'signal received');
    app.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ error: String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
process.on('unhandledRejection', (reason) => {
  logger.error({ reason: String(reason) }, 'unhandled rejection');
});

const host = config.host;
/** Listens, or ends the process with one line naming the variable to fix. */
async function listen(server: typeof app.fastify, port: number, portVariable: string): Promise<void> {
  try {
    await server.listen({ host, port });
  } catch (error) {
    const message = describeListenError(error, host, port, portVariable);
    if (!message) throw error;
    await app.shutdown().catch(() => undefined);
    fail('启动失败 / startup failed', message);
  }
}
// the metrics port first: once the main port answers, /metrics does too
// (a worker leaves METRICS_PORT to its primary, which sums every worker's metrics)
if (app.metricsServer && !cluster.isWorker) await listen(app.metricsServer, config.metrics.port ?? 0, 'METRICS_PORT');
await listen(app.fastify, config.port, 'PORT');
logger.info(
  { store: adapters.stores.driver, llm: model?.name ?? 'offline', login: wechat.mode, gc: gc.gc, cpus },
  startupBanner(config, (app.fastify.server.address() as AddressInfo).port),
);
