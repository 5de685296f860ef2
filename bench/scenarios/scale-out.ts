/**
 * Scenario 8 — scale-out on one machine: chats/s, added time to first delta and CPU per chat for
 * one gateway process, two processes (clients spread round-robin over both) and one process with
 * WORKERS=2, all on the same Redis, the reference model (50 ms to first token, 20 deltas 5 ms
 * apart) and a direct SSE baseline to that model. Each leg is a closed loop: N logged-in clients
 * chat in turn for a fixed time; legs take interleaved rounds after a warm-up round each.
 */
import type { BenchRow } from '../bench-row.js';
import type { ChatSample } from '../load/load-protocol.js';
import { median } from '../process-rss.js';
import { benchAnswer } from '../support/bench-answer.js';
import { interleave } from '../support/interleave.js';
import { cpuByProcess, treeCpuMs } from '../support/process-tree.js';
import { p50, p99, summarize, tally } from '../support/samples.js';
import { REFERENCE_MODEL, type BenchContext } from './bench-context.js';
import { benchRedisUrl, redisUnavailable, startTargets, stopTargets, type ScaleTarget } from './scale-out-targets.js';

interface Round {
  samples: ChatSample[];
  chatsPerSecond: number;
  /** CPU ms of every process of the target ÷ chats (NaN for the direct baseline) */
  cpuPerChat: number;
  /** each process's share of that CPU, largest first (WORKERS=2: do both workers work?) */
  cpuSplit: number[];
  loadEventLoopP99: number;
}

const DIRECT = 'direct SSE';

export async function scaleOutBench(ctx: BenchContext): Promise<BenchRow[]> {
  const redisUrl = benchRedisUrl();
  const missing = await redisUnavailable(redisUrl);
  if (missing) {
    ctx.notes.push(`8 scale-out skipped: ${missing}`);
    return [];
  }
  const clients = ctx.options.quick ? 100 : 200;
  const durationMs = ctx.options.quick ? 3_000 : 6_000;
  const expected = benchAnswer(REFERENCE_MODEL.deltas);
  const model = await ctx.model(REFERENCE_MODEL);
  const targets = await startTargets(ctx, model.address, redisUrl);
  try {
    for (const target of targets) {
      await ctx.load.request({ cmd: 'open', group: groupOf(target), url: target.wsUrls[0]!, urls: target.wsUrls, count: clients, codePrefix: ctx.codePrefix('scale') });
    }
    const leg = (target: ScaleTarget | undefined, ms: number) => async (): Promise<Round[]> => {
      const before = target && treeCpuMs(target.pids);
      const reply = await ctx.load.request(
        target
          ? { cmd: 'chat', group: groupOf(target), chatsPerClient: 1, durationMs: ms, expected }
          : { cmd: 'direct', baseUrl: model.address, concurrency: clients, chatsPerClient: 1, durationMs: ms, expected },
      );
      const samples = reply.samples ?? [];
      const byProcess = [...(before ? cpuByProcess(before, treeCpuMs(target.pids)) : new Map<number, number>()).values()];
      const cpu = target ? byProcess.reduce((a, b) => a + b, 0) : NaN;
      ctx.checkIntegrity(`8 scale ${target?.name ?? DIRECT}`, samples);
      const cpuSplit = byProcess.map((ms) => ms / cpu).sort((a, b) => b - a);
      return [{ samples, chatsPerSecond: (samples.length * 1000) / reply.elapsedMs!, cpuPerChat: cpu / samples.length, cpuSplit, loadEventLoopP99: reply.eventLoopP99Ms ?? NaN }];
    };
    const legs = (ms: number) => Object.fromEntries([[DIRECT, leg(undefined, ms)], ...targets.map((t) => [t.name, leg(t, ms)] as const)]);
    await interleave(1, legs(Math.min(2_000, durationMs)));
    const measured = await interleave(ctx.options.rounds, legs(durationMs));
    for (const target of targets) await ctx.load.request({ cmd: 'close', group: groupOf(target) });
    ctx.notes.push(
      `8 scale-out: ${clients} clients chatting in a closed loop for ${durationMs / 1000} s a round; on this 2-core machine the ` +
        'load generator, the fake model and Redis share the CPU with the gateway (and other sessions load it), so what ' +
        'a second process can add is bounded — the figures compare deployments on the same box, not a second machine',
    );
    return targets.flatMap((target) => rowsFor(ctx, target.name, measured[target.name]!, measured[DIRECT]!, measured[targets[0]!.name]!));
  } finally {
    const deleted = await stopTargets(targets, redisUrl);
    ctx.log(`8 scale-out: stopped ${targets.length} targets, deleted ${deleted} Redis keys`);
  }
}

const groupOf = (target: ScaleTarget) => `scale-${target.keyPrefix}`;

function rowsFor(ctx: BenchContext, name: string, rounds: Round[], direct: Round[], single: Round[]): BenchRow[] {
  const scenario = `8 scale ${name}`;
  const via = summarize(rounds.flatMap((r) => r.samples));
  const base = summarize(direct.flatMap((r) => r.samples));
  const chatsPerSecond = median(rounds.map((r) => r.chatsPerSecond));
  const directBaseline = (value: number) => ({ label: 'direct SSE client', value });
  const perSecondBaseline = name === '1 instance'
    ? { label: 'direct SSE client (the model alone)', value: median(direct.map((r) => r.chatsPerSecond)) }
    : { label: '1 instance', value: median(single.map((r) => r.chatsPerSecond)) };
  ctx.log(
    `${scenario}: ${via.count} chats; chats/s by round ${rounds.map((r) => r.chatsPerSecond.toFixed(0)).join(' ')}; ` +
      `CPU/chat ${rounds.map((r) => r.cpuPerChat.toFixed(2)).join(' ')} ms (split over processes ` +
      `${rounds.at(-1)!.cpuSplit.map((share) => `${(share * 100).toFixed(0)}%`).join('/')}); load generator event-loop p99 ` +
      `${rounds.map((r) => r.loadEventLoopP99.toFixed(0)).join(' ')} ms${via.errors.length > 0 ? `; errors: ${tally(via.errors)}` : ''}`,
  );
  return [
    { scenario, metric: 'chats/s (median of rounds)', value: chatsPerSecond, unit: 'chats/s', baseline: perSecondBaseline },
    { scenario, metric: 'TTFD p50', value: p50(via.ttfd), unit: 'ms', baseline: directBaseline(p50(base.ttfd)) },
    { scenario, metric: 'TTFD p99', value: p99(via.ttfd), unit: 'ms', baseline: directBaseline(p99(base.ttfd)) },
    { scenario, metric: 'CPU per chat, all processes (median of rounds)', value: median(rounds.map((r) => r.cpuPerChat)), unit: 'ms' },
    { scenario, metric: `failed chats (of ${via.count}; direct of ${base.count})`, value: via.errors.length, unit: 'chats', baseline: { label: 'direct', value: base.errors.length } },
  ];
}
