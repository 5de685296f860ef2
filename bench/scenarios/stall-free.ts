/**
 * Scenario 3 — stall-free concurrent streams. Ramps the number of simultaneous streamed chats
 * (64 deltas @ 20 ms each) through the gateway and stops at the first level that fails: every
 * delta delivered, no gap between deltas over 10× the pacing, fewer than 0.1% failed chats.
 * At each level the gateway's event-loop delay p99 (its /metrics) and CPU per frame, next to a
 * raw `ws` push server in its own process pushing the same frames to the same client.
 */
import { startPushServer } from '../baselines/push-server.js';
import type { BenchRow } from '../bench-row.js';
import type { ChatSample } from '../load/load-protocol.js';
import { benchAnswer } from '../support/bench-answer.js';
import { eventLoopP99Ms } from '../support/gateway-process.js';
import { cpuDuring } from '../support/proc-stats.js';
import { summarize, tally } from '../support/samples.js';
import { PACED_MODEL, type BenchContext } from './bench-context.js';

const MAX_GAP_MS = 10 * PACED_MODEL.pace;
const MAX_ERROR_RATE = 0.001;

interface LevelResult {
  streams: number;
  passed: boolean;
  why: string;
  eventLoopP99: number;
  cpuPerFrameUs: number;
  framesPerSecond: number;
  /** the load generator's own event-loop delay p99: when high, the client, not the server, stalled */
  loadEventLoopP99: number;
}

function judge(streams: number, samples: ChatSample[], wallMs: number, cpuMs: number, eventLoopP99: number, loadEventLoopP99: number): LevelResult {
  const { errors, violations } = summarize(samples);
  const stalled = samples.filter((s) => !s.error && s.maxGap > MAX_GAP_MS);
  const short = samples.filter((s) => !s.error && s.deltas !== PACED_MODEL.deltas);
  const frames = samples.reduce((n, s) => n + s.deltas, 0);
  const problems = [
    errors.length / streams >= MAX_ERROR_RATE && `${errors.length} failed (${tally(errors)})`,
    stalled.length > 0 && `${stalled.length} streams had a gap over ${MAX_GAP_MS} ms (longest ${Math.max(...stalled.map((s) => s.maxGap)).toFixed(0)} ms)`,
    short.length > 0 && `${short.length} streams missed deltas`,
    violations.length > 0 && `${violations.length} integrity problems`,
  ].filter(Boolean);
  return {
    streams,
    passed: problems.length === 0,
    why: problems.join('; ') || 'ok',
    eventLoopP99,
    cpuPerFrameUs: (cpuMs * 1000) / Math.max(frames, 1),
    framesPerSecond: frames / (wallMs / 1000),
    loadEventLoopP99,
  };
}

export async function stallFreeBench(ctx: BenchContext): Promise<BenchRow[]> {
  const gateway = await ctx.gateway(PACED_MODEL);
  const push = await startPushServer(PACED_MODEL.deltas, PACED_MODEL.pace);
  const expected = benchAnswer(PACED_MODEL.deltas);
  const results: { gateway: LevelResult; push: LevelResult }[] = [];
  try {
    // warm-up: JIT, the gateway's upstream connection pool
    const warm = 'stall-warm';
    await ctx.load.request({ cmd: 'open', group: warm, url: gateway.server.wsUrl, count: 100, codePrefix: ctx.codePrefix(warm) });
    ctx.checkIntegrity('3 warm-up', await ctx.load.samples({ cmd: 'chat', group: warm, chatsPerClient: 1, expected }));
    await ctx.load.request({ cmd: 'close', group: warm });

    for (const streams of ctx.options.levels) {
      const level = async (label: string, url: string, pid: number, eld: () => Promise<number>) => {
        const group = `stall-${label}-${streams}`;
        await ctx.load.request({ cmd: 'open', group, url, count: streams, codePrefix: ctx.codePrefix(group) });
        await eld(); // resets the histogram: the p99 below covers this level only
        const started = performance.now();
        const { cpu, result } = await cpuDuring(pid, () => ctx.load.request({ cmd: 'chat', group, chatsPerClient: 1, expected, timeoutMs: 60_000 }));
        const samples = result.samples ?? [];
        const wall = performance.now() - started;
        const eventLoopP99 = await eld();
        await ctx.load.request({ cmd: 'close', group });
        ctx.checkIntegrity(`3 stall-free@${streams} ${label}`, samples);
        return judge(streams, samples, wall, cpu, eventLoopP99, result.eventLoopP99Ms ?? NaN);
      };
      const viaGateway = await level('gateway', gateway.server.wsUrl, gateway.server.child.pid!, () => eventLoopP99Ms(gateway.server.url));
      const viaPush = await level('push', push.wsUrl, push.pid, () => push.eventLoopP99Ms());
      results.push({ gateway: viaGateway, push: viaPush });
      ctx.log(
        `3 stall-free@${streams}: gateway ${viaGateway.why}, event loop p99 ${viaGateway.eventLoopP99.toFixed(1)} ms, ` +
          `${viaGateway.cpuPerFrameUs.toFixed(0)} µs CPU/frame, ${viaGateway.framesPerSecond.toFixed(0)} frames/s | ` +
          `raw ws push ${viaPush.why}, ${viaPush.eventLoopP99.toFixed(1)} ms, ${viaPush.cpuPerFrameUs.toFixed(0)} µs/frame | ` +
          `load generator's event loop p99 ${viaGateway.loadEventLoopP99.toFixed(0)} / ${viaPush.loadEventLoopP99.toFixed(0)} ms`,
      );
      if (!viaGateway.passed) break;
    }
  } finally {
    await push.stop();
  }
  return rows(results);
}

function rows(results: { gateway: LevelResult; push: LevelResult }[]): BenchRow[] {
  const lastPassing = (leg: 'gateway' | 'push') => results.filter((r) => r[leg].passed).at(-1)?.[leg].streams ?? 0;
  const best = lastPassing('gateway');
  // figures at the highest level the gateway sustained (or the first level, when none)
  const at = results.find((r) => r.gateway.streams === best) ?? results[0];
  const failed = results.find((r) => !r.gateway.passed);
  const scenario = '3 stall-free';
  const out: BenchRow[] = [
    {
      scenario, metric: `max stall-free streams (tried ${results.map((r) => r.gateway.streams).join(', ')})`, value: best, unit: 'streams',
      baseline: { label: 'raw ws push, same levels', value: lastPassing('push') }, target: '≥ 2000', pass: best >= 2000,
    },
  ];
  if (at) {
    const n = at.gateway.streams;
    out.push(
      { scenario, metric: `event-loop delay p99 @${n}`, value: at.gateway.eventLoopP99, unit: 'ms', baseline: { label: 'raw ws push', value: at.push.eventLoopP99 }, target: '≤ 10 ms', pass: at.gateway.eventLoopP99 <= 10 },
      { scenario, metric: `CPU per frame @${n}`, value: at.gateway.cpuPerFrameUs, unit: 'µs', baseline: { label: 'raw ws push', value: at.push.cpuPerFrameUs } },
      { scenario, metric: `frames delivered per second @${n}`, value: at.gateway.framesPerSecond, unit: 'frames/s', baseline: { label: 'raw ws push', value: at.push.framesPerSecond } },
    );
  }
  if (failed) out.push({ scenario, metric: `first failing level: ${failed.gateway.why}`, value: failed.gateway.streams, unit: 'streams' });
  return out;
}
