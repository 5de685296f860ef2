/**
 * Scenario 1 — added time to first delta: WS clients through the gateway against a direct SSE
 * client to the same fake model (the reference model: 50 ms to first token), at 1
 * stream (many rounds) and at 200 concurrent streams.
 */
import type { BenchRow } from '../bench-row.js';
import { benchAnswer } from '../support/bench-answer.js';
import { interleave } from '../support/interleave.js';
import { p50, p99, summarize } from '../support/samples.js';
import { REFERENCE_MODEL, type BenchContext } from './bench-context.js';

export async function ttfdBench(ctx: BenchContext): Promise<BenchRow[]> {
  const gateway = await ctx.gateway(REFERENCE_MODEL);
  const expected = benchAnswer(REFERENCE_MODEL.deltas);
  const rows: BenchRow[] = [];
  for (const streams of [1, 200]) {
    const group = `ttfd-${streams}`;
    await ctx.load.request({ cmd: 'open', group, url: gateway.server.wsUrl, count: streams, codePrefix: ctx.codePrefix(group) });
    // one stream: more, shorter rounds so the p99 has samples behind it
    const chatsPerClient = streams === 1 ? 6 : 1;
    const legs = {
      direct: () => ctx.load.samples({ cmd: 'direct', baseUrl: gateway.modelUrl, concurrency: streams, chatsPerClient, expected }),
      gateway: () => ctx.load.samples({ cmd: 'chat', group, chatsPerClient, expected }),
    };
    const warm = await interleave(1, legs);
    const measured = await interleave(ctx.options.rounds, legs);
    await ctx.load.request({ cmd: 'close', group });
    ctx.checkIntegrity(`1 ttfd@${streams}`, [...warm.direct, ...warm.gateway, ...measured.direct, ...measured.gateway]);

    const direct = summarize(measured.direct);
    const via = summarize(measured.gateway);
    const scenario = `1 ttfd@${streams}`;
    const baseline = (value: number) => ({ label: 'direct SSE client', value });
    const added = { p50: p50(via.ttfd) - p50(direct.ttfd), p99: p99(via.ttfd) - p99(direct.ttfd) };
    const [target50, target99] = streams === 1 ? [1, 3] : [undefined, 10];
    rows.push({
      scenario, metric: 'TTFD p50', value: p50(via.ttfd), unit: 'ms', baseline: baseline(p50(direct.ttfd)),
      ...(target50 !== undefined && { target: `added ≤ ${target50} ms`, pass: added.p50 <= target50 }),
    });
    rows.push({ scenario, metric: 'TTFD p99', value: p99(via.ttfd), unit: 'ms', baseline: baseline(p99(direct.ttfd)), target: `added ≤ ${target99} ms`, pass: added.p99 <= target99! });
    rows.push({ scenario, metric: 'failed chats', value: via.errors.length, unit: `of ${via.count}`, baseline: { label: 'direct', value: direct.errors.length } });
    ctx.log(`${scenario}: ${via.count} chats; added TTFD p50 ${added.p50.toFixed(2)} ms, p99 ${added.p99.toFixed(2)} ms`);
  }
  return rows;
}
