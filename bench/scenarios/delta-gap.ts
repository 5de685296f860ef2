/**
 * Scenario 2 — added per-delta gap: 100 concurrent streams of 64 deltas paced at 20 ms through
 * the gateway, every gap between consecutive deltas, against the same gaps seen by a direct SSE
 * client of the same model. With STREAM_COALESCE_MS=0 the gateway forwards each model delta as
 * one frame, so the gaps compare one to one.
 */
import type { BenchRow } from '../bench-row.js';
import { benchAnswer } from '../support/bench-answer.js';
import { interleave } from '../support/interleave.js';
import { p50, p99, summarize } from '../support/samples.js';
import { PACED_MODEL, type BenchContext } from './bench-context.js';

const STREAMS = 100;

export async function deltaGapBench(ctx: BenchContext): Promise<BenchRow[]> {
  const gateway = await ctx.gateway(PACED_MODEL);
  const expected = benchAnswer(PACED_MODEL.deltas);
  const group = 'gap';
  await ctx.load.request({ cmd: 'open', group, url: gateway.server.wsUrl, count: STREAMS, codePrefix: ctx.codePrefix(group) });
  const legs = {
    direct: () => ctx.load.samples({ cmd: 'direct', baseUrl: gateway.modelUrl, concurrency: STREAMS, chatsPerClient: 1, expected, keepGaps: true }),
    gateway: () => ctx.load.samples({ cmd: 'chat', group, chatsPerClient: 1, expected, keepGaps: true }),
  };
  const warm = await interleave(1, legs);
  const measured = await interleave(ctx.options.rounds, legs);
  await ctx.load.request({ cmd: 'close', group });
  ctx.checkIntegrity('2 gap warm-up', [...warm.direct, ...warm.gateway]);
  ctx.checkIntegrity('2 gap direct', measured.direct);
  ctx.checkIntegrity('2 gap gateway', measured.gateway);

  const direct = summarize(measured.direct);
  const via = summarize(measured.gateway);
  const scenario = `2 gap@${STREAMS}`;
  const baseline = (value: number) => ({ label: 'direct SSE client', value });
  const added99 = p99(via.gaps) - p99(direct.gaps);
  ctx.log(`${scenario}: ${via.gaps.length} gaps; added p50 ${(p50(via.gaps) - p50(direct.gaps)).toFixed(2)} ms, p99 ${added99.toFixed(2)} ms`);
  return [
    { scenario, metric: 'per-delta gap p50', value: p50(via.gaps), unit: 'ms', baseline: baseline(p50(direct.gaps)) },
    { scenario, metric: 'per-delta gap p99', value: p99(via.gaps), unit: 'ms', baseline: baseline(p99(direct.gaps)), target: 'added ≤ 0.5 ms', pass: added99 <= 0.5 },
    { scenario, metric: 'failed chats', value: via.errors.length, unit: `of ${via.count}`, baseline: { label: 'direct', value: direct.errors.length } },
  ];
}
