/**
 * Scenario 1 — added time to first delta: WS clients through the gateway against a direct SSE
 * client to the same fake model (the reference model: 50 ms to first token), at 1
 * stream (many rounds) and at 200 concurrent streams. "200 concurrent streams" is measured in
 * steady state — 200 chats kept in flight at random phases, each client asking again when its
 * answer ends — which is what a busy gateway sees (STEADY_MODEL: the same 50 ms first token,
 * an answer as long as the paced one, so 200 in flight is ~150 new chats a second); the burst
 * (200 reference chats sent in the same millisecond) is reported as a second row: it measures
 * a queue of 200 intakes, not a chat among 200 streams.
 */
import type { BenchRow } from '../bench-row.js';
import type { ChatSample } from '../load/load-protocol.js';
import { benchAnswer } from '../support/bench-answer.js';
import { interleave } from '../support/interleave.js';
import { p50, p99, summarize } from '../support/samples.js';
import { REFERENCE_MODEL, STEADY_MODEL, type BenchContext } from './bench-context.js';

/** a STEADY_MODEL chat is ~1.3 s (50 ms + 64 deltas × 20 ms): starts spread over all of it */
const STAGGER_MS = 1_400;
const STEADY_MS = 2_800;

type Mode = 'single' | 'steady' | 'burst';

export async function ttfdBench(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const runs: [number, Mode][] = [[1, 'single'], [200, 'steady'], [200, 'burst']];
  for (const [streams, mode] of runs) {
    const shape = mode === 'steady' ? STEADY_MODEL : REFERENCE_MODEL;
    const gateway = await ctx.gateway(shape);
    const expected = benchAnswer(shape.deltas);
    const group = `ttfd-${streams}-${mode}`;
    await ctx.load.request({ cmd: 'open', group, url: gateway.server.wsUrl, count: streams, codePrefix: ctx.codePrefix(group) });
    // one stream: more, shorter rounds so the p99 has samples behind it
    const chatsPerClient = streams === 1 ? 25 : 1;
    const steady = { cmd: 'steady', streams, staggerMs: STAGGER_MS, durationMs: STEADY_MS, expected } as const;
    const legs: Record<'direct' | 'gateway', () => Promise<ChatSample[]>> =
      mode === 'steady'
        ? { direct: () => ctx.load.samples({ ...steady, baseUrl: gateway.modelUrl }), gateway: () => ctx.load.samples({ ...steady, group }) }
        : {
            direct: () => ctx.load.samples({ cmd: 'direct', baseUrl: gateway.modelUrl, concurrency: streams, chatsPerClient, expected }),
            gateway: () => ctx.load.samples({ cmd: 'chat', group, chatsPerClient, expected }),
          };
    const warm = await interleave(1, legs);
    const measured = await interleave(ctx.options.rounds, legs);
    await ctx.load.request({ cmd: 'close', group });
    const scenario = mode === 'single' ? '1 ttfd@1' : mode === 'steady' ? '1 ttfd@200 steady (staggered)' : '1 ttfd@200 burst: 200 in the same ms';
    ctx.checkIntegrity(scenario, [...warm.direct, ...warm.gateway, ...measured.direct, ...measured.gateway]);
    const direct = summarize(measured.direct);
    const via = summarize(measured.gateway);
    const baseline = (value: number) => ({ label: 'direct SSE client', value });
    const added = { p50: p50(via.ttfd) - p50(direct.ttfd), p99: p99(via.ttfd) - p99(direct.ttfd) };
    const [target50, target99] = streams === 1 ? [1, 3] : [undefined, 10];
    rows.push({
      scenario, metric: 'TTFD p50', value: p50(via.ttfd), unit: 'ms', baseline: baseline(p50(direct.ttfd)),
      ...(target50 !== undefined && { target: `added ≤ ${target50} ms`, pass: added.p50 <= target50 }),
    });
    rows.push({ scenario, metric: 'TTFD p99', value: p99(via.ttfd), unit: 'ms', baseline: baseline(p99(direct.ttfd)), target: `added ≤ ${target99} ms`, pass: added.p99 <= target99! });
    rows.push({ scenario, metric: 'failed chats', value: via.errors.length, unit: `of ${via.count}`, baseline: { label: 'direct', value: direct.errors.length } });
    ctx.log(`${scenario}: ${via.count} chats (direct ${direct.count}); added TTFD p50 ${added.p50.toFixed(2)} ms, p99 ${added.p99.toFixed(2)} ms`);
  }
  return rows;
}
