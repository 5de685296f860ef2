/**
 * Scenario 2 — added per-delta gap: 100 concurrent streams of 64 deltas paced at 20 ms through
 * the gateway, every gap between consecutive deltas, against the same gaps seen by a direct SSE
 * client of the same model under the same load shape. With STREAM_COALESCE_MS=0 (the bench's
 * default) the gateway forwards each model delta as one frame, so the gaps compare one to one.
 * The headline is steady state: 100 streams in flight at random phases (each client asks again
 * when its answer ends), as on a busy gateway. The burst — 100 streams started in the same
 * millisecond, so every 20 ms all 100 deltas arrive at once and queue behind each other, in
 * both legs — is the second row.
 */
import type { BenchRow } from '../bench-row.js';
import type { ChatSample } from '../load/load-protocol.js';
import { benchAnswer } from '../support/bench-answer.js';
import { interleave } from '../support/interleave.js';
import { p50, p99, summarize } from '../support/samples.js';
import { PACED_MODEL, type BenchContext } from './bench-context.js';

const STREAMS = 100;
/** one paced chat is ~1.3 s (64 deltas × 20 ms): starts spread over all of it */
const STAGGER_MS = 1_300;
const STEADY_MS = 2_600;

export async function deltaGapBench(ctx: BenchContext): Promise<BenchRow[]> {
  const gateway = await ctx.gateway(PACED_MODEL);
  const expected = benchAnswer(PACED_MODEL.deltas);
  const rows: BenchRow[] = [];
  for (const mode of ['steady', 'burst'] as const) {
    const group = `gap-${mode}`;
    await ctx.load.request({ cmd: 'open', group, url: gateway.server.wsUrl, count: STREAMS, codePrefix: ctx.codePrefix(group) });
    const steady = { cmd: 'steady', streams: STREAMS, staggerMs: STAGGER_MS, durationMs: STEADY_MS, expected, keepGaps: true } as const;
    const legs: Record<'direct' | 'gateway', () => Promise<ChatSample[]>> =
      mode === 'steady'
        ? { direct: () => ctx.load.samples({ ...steady, baseUrl: gateway.modelUrl }), gateway: () => ctx.load.samples({ ...steady, group }) }
        : {
            direct: () => ctx.load.samples({ cmd: 'direct', baseUrl: gateway.modelUrl, concurrency: STREAMS, chatsPerClient: 1, expected, keepGaps: true }),
            gateway: () => ctx.load.samples({ cmd: 'chat', group, chatsPerClient: 1, expected, keepGaps: true }),
          };
    const warm = await interleave(1, legs);
    const measured = await interleave(ctx.options.rounds, legs);
    await ctx.load.request({ cmd: 'close', group });
    const scenario = mode === 'steady' ? `2 gap@${STREAMS} steady (staggered)` : `2 gap@${STREAMS} burst: ${STREAMS} in the same ms`;
    ctx.checkIntegrity(`${scenario} warm-up`, [...warm.direct, ...warm.gateway]);
    ctx.checkIntegrity(`${scenario} direct`, measured.direct);
    ctx.checkIntegrity(`${scenario} gateway`, measured.gateway);
    const direct = summarize(measured.direct);
    const via = summarize(measured.gateway);
    const baseline = (value: number) => ({ label: 'direct SSE client', value });
    const added99 = p99(via.gaps) - p99(direct.gaps);
    ctx.log(`${scenario}: ${via.gaps.length} gaps (direct ${direct.gaps.length}); added p50 ${(p50(via.gaps) - p50(direct.gaps)).toFixed(2)} ms, p99 ${added99.toFixed(2)} ms`);
    rows.push(
      { scenario, metric: 'per-delta gap p50', value: p50(via.gaps), unit: 'ms', baseline: baseline(p50(direct.gaps)) },
      { scenario, metric: 'per-delta gap p99', value: p99(via.gaps), unit: 'ms', baseline: baseline(p99(direct.gaps)), target: 'added ≤ 0.5 ms', pass: added99 <= 0.5 },
      { scenario, metric: 'failed chats', value: via.errors.length, unit: `of ${via.count}`, baseline: { label: 'direct', value: direct.errors.length } },
    );
  }
  return rows;
}
