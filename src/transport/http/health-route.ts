import type { FastifyInstance } from 'fastify';
import { errorCatalogue } from '../../protocol/error-catalogue.js';
import { seedText } from '../../protocol/server-frame.js';

export interface HealthProbe {
  /** resolves when the store answers */
  pingStore(): Promise<void>;
  storeDriver: string;
  llm: { online: boolean; model: string };
  wechatMode: 'wechat' | 'dev';
  connections(): number;
  activeAnswers(): number;
  /** true once shutdown began */
  draining(): boolean;
}

/**
 * `GET /wechat/health`: the seed's {code, message, timestamp} plus the state of each
 * dependency in `data`. 503 (with `data.reason`) when the store does not answer or the
 * server is draining for shutdown, so a load balancer stops routing here.
 */
export function registerHealthRoute(app: FastifyInstance, probe: HealthProbe): void {
  const started = Date.now();
  app.get('/wechat/health', async (_request, reply) => {
    let storeOk = true;
    let storeError: string | undefined;
    try {
      await withTimeout(probe.pingStore(), 2_000);
    } catch (error) {
      storeOk = false;
      storeError = error instanceof Error ? error.message : String(error);
    }
    const draining = probe.draining();
    const reason = draining ? 'shutting_down' : storeOk ? undefined : 'store_unavailable';
    reply.code(reason ? 503 : 200);
    return {
      code: reason ? 503 : 0,
      message: reason === 'shutting_down' ? errorCatalogue.shutting_down.message : reason ? '存储不可用' : seedText.healthOk,
      timestamp: new Date().toISOString(),
      data: {
        ...(reason ? { reason } : {}),
        store: { driver: probe.storeDriver, ok: storeOk, ...(storeError ? { error: storeError } : {}) },
        llm: { mode: probe.llm.online ? 'online' : 'offline', model: probe.llm.online ? probe.llm.model : null },
        wechat: { mode: probe.wechatMode },
        connections: probe.connections(),
        active_answers: probe.activeAnswers(),
        uptime_s: Math.round((Date.now() - started) / 1000),
        draining,
      },
    };
  });
}

function withTimeout<T>(pending: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}
