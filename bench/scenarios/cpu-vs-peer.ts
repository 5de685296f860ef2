/**
 * CPU per streamed chat against the seed's own stack, on the reference load: the fake
 * model answers 50 ms to first token, 20 deltas 5 ms apart; 100 logged-in connections each ask
 * 4 streamed chats in turn. Gateway and peer take rounds in turn (after a warm-up round each);
 * CPU is user + system time of each server process over its rounds, divided by its chats.
 */
import { peerUnavailable, startSeedPeer, type SeedPeer } from '../baselines/seed-peer.js';
import type { BenchRow } from '../bench-row.js';
import type { ChatSample } from '../load/load-protocol.js';
import { benchAnswer } from '../support/bench-answer.js';
import { median } from '../process-rss.js';
import { cpuDuring, statusKb } from '../support/proc-stats.js';
import { p99, summarize } from '../support/samples.js';
import { REFERENCE_MODEL, type BenchContext } from './bench-context.js';
import { gcMsSoFar } from '../support/gateway-process.js';

const CONNECTIONS = 100;
const CHATS_PER_CONNECTION = 4;

interface Leg {
  pid: number;
  group: string;
  cpuPerChat: number[];
  samples: ChatSample[];
}

export async function cpuVsPeerBench(ctx: BenchContext): Promise<BenchRow[]> {
  const gateway = await ctx.gateway(REFERENCE_MODEL);
  const expected = benchAnswer(REFERENCE_MODEL.deltas);
  const missing = peerUnavailable();
  let peer: SeedPeer | undefined;
  if (missing) ctx.notes.push(`cpu: seed peer skipped — ${missing}`);
  else peer = await startSeedPeer({ llmBaseUrl: gateway.modelUrl, wechat: ctx.wechat });
  try {
    const legs: Leg[] = [{ pid: gateway.server.child.pid!, group: 'cpu-gateway', cpuPerChat: [], samples: [] }];
    /** the gateway's GC time per chat in each round, from its /metrics (the peer has none) */
    const gcPerChat: number[] = [];
    await ctx.load.request({ cmd: 'open', group: 'cpu-gateway', url: gateway.server.wsUrl, count: CONNECTIONS, codePrefix: ctx.codePrefix('cpu-gw') });
    if (peer) {
      legs.push({ pid: peer.pid, group: 'cpu-peer', cpuPerChat: [], samples: [] });
      await ctx.load.request({ cmd: 'open', group: 'cpu-peer', url: peer.wsUrl, count: CONNECTIONS, codePrefix: ctx.codePrefix('cpu-peer') });
    }
    for (let round = -1; round < ctx.options.rounds; round++) {
      for (const leg of round % 2 === 0 ? legs : [...legs].reverse()) {
        const isGateway = leg === legs[0];
        const gcBefore = isGateway ? await gcMsSoFar(gateway.server.url) : NaN;
        const { cpu, result } = await cpuDuring(leg.pid, () => ctx.load.samples({ cmd: 'chat', group: leg.group, chatsPerClient: CHATS_PER_CONNECTION, expected }));
        ctx.checkIntegrity(`cpu ${leg.group}`, result);
        if (round < 0) continue; // warm-up
        leg.cpuPerChat.push(cpu / result.length);
        if (isGateway) gcPerChat.push(((await gcMsSoFar(gateway.server.url)) - gcBefore) / result.length);
        leg.samples.push(...result);
      }
    }
    for (const leg of legs) await ctx.load.request({ cmd: 'close', group: leg.group });
    return rows(legs[0]!, legs[1], peer, median(gcPerChat));
  } finally {
    await peer?.stop();
  }
}

function rows(gateway: Leg, peer: Leg | undefined, peerProcess: SeedPeer | undefined, gcPerChat: number): BenchRow[] {
  const scenario = `cpu ${CONNECTIONS}×${CHATS_PER_CONNECTION}`;
  const label = 'seed peer (FastAPI)';
  const cpu = { gateway: median(gateway.cpuPerChat), peer: peer ? median(peer.cpuPerChat) : NaN };
  const ttfd = { gateway: p99(summarize(gateway.samples).ttfd), peer: peer ? p99(summarize(peer.samples).ttfd) : NaN };
  const out: BenchRow[] = [
    { scenario, metric: 'CPU per streamed chat (median of rounds)', value: cpu.gateway, unit: 'ms', ...(peer && { baseline: { label, value: cpu.peer } }) },
    { scenario, metric: 'of which GC (main thread, median of rounds)', value: gcPerChat, unit: 'ms' },
    { scenario, metric: 'TTFD p99', value: ttfd.gateway, unit: 'ms', ...(peer && { baseline: { label, value: ttfd.peer } }) },
    { scenario, metric: 'failed chats', value: summarize(gateway.samples).errors.length, unit: `of ${gateway.samples.length}`, ...(peer && { baseline: { label, value: summarize(peer.samples).errors.length } }) },
  ];
  if (peer && peerProcess) {
    const ratio = cpu.gateway / cpu.peer;
    console.log(`  ${scenario}: CPU per chat ${cpu.gateway.toFixed(2)} ms, peer ${cpu.peer.toFixed(2)} ms (×${ratio.toFixed(2)}); gateway GC ${gcPerChat.toFixed(3)} ms per chat; rounds ${gateway.cpuPerChat.map((c) => c.toFixed(2)).join(' ')} / ${peer.cpuPerChat.map((c) => c.toFixed(2)).join(' ')}`);
    out.splice(1, 0, { scenario, metric: 'CPU per chat, gateway ÷ peer', value: ratio, unit: '×', target: '≤ 0.25', pass: ratio <= 0.25 });
    out.push({ scenario, metric: 'peer peak RSS (VmHWM)', value: statusKb(peerProcess.pid, 'VmHWM') / 1024, unit: 'MB' });
  }
  return out;
}
