/**
 * Scenario 4 — idle capacity: RSS per idle logged-in socket. For each count a fresh gateway:
 * full GC + settled RSS, then the load generator opens N sockets (from 127.0.0.1, .2… 5,000 per
 * address) that log in and send a heartbeat every 30 s, another full GC + settled RSS;
 * (after − before) ÷ N. The raw `ws` push server, measured the same way, is the floor a
 * Node WebSocket costs. The "before" figure is the idle gateway without a knowledge base.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPushServer } from '../baselines/push-server.js';
import type { BenchRow } from '../bench-row.js';
import { gcOnSignal, measureAfterGc } from '../process-rss.js';
import { startGatewayProcess } from '../support/gateway-process.js';
import { PACED_MODEL, type BenchContext } from './bench-context.js';

const HEARTBEAT_MS = 30_000;
/** descriptors each process needs beyond the sockets (files, SQLite, the model's pool…) */
const FD_MARGIN = 500;
const fdLimit = () => Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim()) || Infinity;

interface Measured {
  before: { rss: number; heap: number };
  perSocketKb: number;
  heapPerSocketKb: number;
}

export async function idleCapacityBench(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'wag-bench-idle-'));
  const memoryFile = join(scratch, 'memory.json');
  const gcArgs = ['--expose-gc', '--import', gcOnSignal(memoryFile)];
  const model = await ctx.model(PACED_MODEL);
  try {
    const limit = fdLimit();
    for (const asked of ctx.options.idleSockets) {
      // what fits under `ulimit -n` (the gateway and the load generator inherit it), in whole hundreds
      const count = Math.min(asked, Math.floor((limit - FD_MARGIN) / 100) * 100);
      if (count < asked) {
        const why = `\`ulimit -n\` is ${limit}; ${asked} sockets need ${asked + FD_MARGIN} in the gateway and the load generator`;
        if (count <= 0 || rows.some((r) => r.scenario === `4 idle@${count}`) || ctx.options.idleSockets.includes(count)) {
          ctx.notes.push(`4 idle@${asked}: skipped — ${why}`);
          continue;
        }
        ctx.notes.push(`4 idle@${asked}: measured at ${count} instead — ${why}`);
      }
      const measure = async (label: string, url: string, pid: number, signal: (s: NodeJS.Signals) => void): Promise<Measured> => {
        const before = await measureAfterGc(pid, memoryFile, signal);
        const group = `idle-${label}-${count}`;
        await ctx.load.request({ cmd: 'open', group, url, count, codePrefix: ctx.codePrefix(group), perAddress: 5_000, heartbeatMs: HEARTBEAT_MS });
        const after = await measureAfterGc(pid, memoryFile, signal);
        await ctx.load.request({ cmd: 'close', group });
        return { before, perSocketKb: ((after.rss - before.rss) * 1024) / count, heapPerSocketKb: ((after.heap - before.heap) * 1024) / count };
      };
      const gateway = await startGatewayProcess({ llmBaseUrl: model.address, wechat: ctx.wechat, coalesceMs: ctx.options.coalesceMs, nodeArgs: gcArgs, command: ctx.gatewayCommand });
      let viaGateway: Measured;
      try {
        viaGateway = await measure('gateway', gateway.wsUrl, gateway.child.pid!, (s) => gateway.child.kill(s));
      } finally {
        await gateway.stop();
      }
      const push = await startPushServer(PACED_MODEL.deltas, PACED_MODEL.pace, gcArgs);
      let viaPush: Measured;
      try {
        viaPush = await measure('push', push.wsUrl, push.pid, (s) => push.child.kill(s));
      } finally {
        await push.stop();
      }
      const scenario = `4 idle@${count}`;
      const raw = (value: number) => ({ label: 'raw ws server', value });
      if (rows.length === 0) {
        rows.push({ scenario: '4 idle', metric: 'idle gateway RSS after GC, no knowledge base', value: viaGateway.before.rss, unit: 'MB', baseline: raw(viaPush.before.rss), target: '≤ 100 MB', pass: viaGateway.before.rss <= 100 });
      }
      rows.push(
        { scenario, metric: 'RSS per idle logged-in socket', value: viaGateway.perSocketKb, unit: 'KB', baseline: raw(viaPush.perSocketKb), target: '≤ 20 KB at 20k', ...(asked >= 20_000 && { pass: viaGateway.perSocketKb <= 20 }) },
        { scenario, metric: 'JS heap per idle socket', value: viaGateway.heapPerSocketKb, unit: 'KB', baseline: raw(viaPush.heapPerSocketKb) },
      );
      ctx.log(`${scenario}: ${viaGateway.perSocketKb.toFixed(1)} KB RSS per socket (raw ws ${viaPush.perSocketKb.toFixed(1)} KB)`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return rows;
}
