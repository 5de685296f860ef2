/**
 * Scenario 2 — added per-delta gap: 100 concurrent streams of 64 deltas paced at 20 ms through
 * the gateway, every gap between consecutive deltas, against the same gaps seen by a direct SSE
 * client of the same model under the same load shape. With STREAM_COALESCE_MS=0 (the bench's
 * default) the gateway forwards each model delta as one frame, so the gaps compare one to one.
 * The headline is steady state: 100 streams in flight at random phases (each client asks again
 * when its answer ends), as on a busy gateway. The burst — 100 streams started in the same
 * millisecond, so every 20 ms all 100 deltas arrive at once and queue behind each other, in
 * both legs — is the second row. With `--base`, the other build's gateway is a third leg of the
 * same rounds (same model process, same load): its added gap sits beside this build's.
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
  const base = ctx.baseCommand ? await ctx.gateway(PACED_MODEL, 'base') : undefined;
  const expected = benchAnswer(PACED_MODEL.deltas);
  const rows: BenchRow[] = [];
  for (const mode of ['steady', 'burst'] as const) {
    const group = `gap-${mode}`;
    const targets = { gateway: { group, url: gateway.server.wsUrl }, ...(base && { base: { group: `${group}-base`, url: base.server.wsUrl } }) };
    for (const target of Object.values(targets)) {
      await ctx.load.request({ cmd: 'open', group: target.group, url: target.url, count: STREAMS, codePrefix: ctx.codePrefix(target.group) });
    }
    const steady = { cmd: 'steady', streams: STREAMS, staggerMs: STAGGER_MS, durationMs: STEADY_MS, expected, keepGaps: true } as const;
    const through = (leg: string) =>
      mode === 'steady'
        ? () => ctx.load.samples({ ...steady, group: leg })
        : () => ctx.load.samples({ cmd: 'chat', group: leg, chatsPerClient: 1, expected, keepGaps: true });
    const legs: Record<string, () => Promise<ChatSample[]>> = {
      direct:
        mode === 'steady'
          ? () => ctx.load.samples({ ...steady, baseUrl: gateway.modelUrl })
          : () => ctx.load.samples({ cmd: 'direct', baseUrl: gateway.modelUrl, concurrency: STREAMS, chatsPerClient: 1, expected, keepGaps: true }),
      ...Object.fromEntries(Object.entries(targets).map(([name, target]) => [name, through(target.group)])),
    };
    const warm = await interleave(1, legs);
    const measured = await interleave(ctx.options.rounds, legs);
    for (const target of Object.values(targets)) await ctx.load.request({ cmd: 'close', group: target.group });
    const scenario = mode === 'steady' ? `2 gap@${STREAMS} steady (staggered)` : `2 gap@${STREAMS} burst: ${STREAMS} in the same ms`;
    ctx.checkIntegrity(`${scenario} warm-up`, Object.values(warm).flat());
    for (const [name, samples] of Object.entries(measured)) ctx.checkIntegrity(`${scenario} ${name}`, samples);
    const direct = summarize(measured.direct!);
    const via = summarize(measured.gateway!);
    const baseline = (value: number) => ({ label: 'direct SSE client', value });
    const added99 = p99(via.gaps) - p99(direct.gaps);
    ctx.log(`${scenario}: ${via.gaps.length} gaps (direct ${direct.gaps.length}); added p50 ${(p50(via.gaps) - p50(direct.gaps)).toFixed(2)} ms, p99 ${added99.toFixed(2)} ms`);
    rows.push(
      { scenario, metric: 'per-delta gap p50', value: p50(via.gaps), unit: 'ms', baseline: baseline(p50(direct.gaps)) },
      { scenario, metric: 'per-delta gap p99', value: p99(via.gaps), unit: 'ms', baseline: baseline(p99(direct.gaps)), target: 'added ≤ 0.5 ms', pass: added99 <= 0.5 },
      { scenario, metric: 'failed chats', value: via.errors.length, unit: `of ${via.count}`, baseline: { label: 'direct', value: direct.errors.length } },
    );
    if (measured.base) {
      const before = summarize(measured.base);
      const baseAdded99 = p99(before.gaps) - p99(direct.gaps);
      ctx.log(`${scenario}: base build added p99 ${baseAdded99.toFixed(2)} ms`);
      rows.push(
        { scenario, metric: 'added per-delta gap p99, this build vs base', value: added99, unit: 'ms', baseline: { label: 'base build (--base)', value: baseAdded99 } },
        { scenario, metric: 'failed chats, base build', value: before.errors.length, unit: `of ${before.count}` },
      );
    }
  }
  return rows;
}
