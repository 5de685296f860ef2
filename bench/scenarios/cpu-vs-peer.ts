/**
 * CPU per streamed chat against the seed's own stack, on the issue's reference load: the fake
 * model answers 50 ms to first token, 20 deltas 5 ms apart; 100 logged-in connections each ask
 * 4 streamed chats in turn (`--cpu-chats`). Gateway and peer take rounds in turn (after a warm-up round each);
 * CPU is user + system time of each server process over its rounds, divided by its chats.
 * With `--base`, the other build's gateway is one more leg of the same rounds. So is the Node relay
 * floor (baselines/ws-relay-server.ts: the same frames through the gateway's own HTTP client and
 * frame writer, with nothing else), on the gateway's Node: what is left of the gateway's CPU per
 * chat once the platform's share is taken out is the cost of its own features.
 */
import { startRelayServer, type RelayServer } from '../baselines/relay-server.js';
import { peerUnavailable, startSeedPeer, type SeedPeer } from '../baselines/seed-peer.js';
import type { BenchRow } from '../bench-row.js';
import type { ChatSample } from '../load/load-protocol.js';
import { benchAnswer } from '../support/bench-answer.js';
import { median } from '../process-rss.js';
import { cpuDuring, statusKb } from '../support/proc-stats.js';
import { p99, summarize } from '../support/samples.js';
import { REFERENCE_MODEL, WARMUP, type BenchContext } from './bench-context.js';
import { gcSoFar } from '../support/gateway-process.js';

const CONNECTIONS = 100;
/**
 * Measured rounds at least (--quick aside): with the default 4 rounds of 400 chats, two identical
 * builds differed by 16% in one run (docs/performance.md, round 15); a median of 8 holds steadier.
 */
const MIN_ROUNDS = 8;

interface Leg {
  pid: number;
  group: string;
  cpuPerChat: number[];
  samples: ChatSample[];
  /** the gateway's GC time per chat in each round, from its /metrics (the peer has none) */
  gcPerChat: number[];
  /** the gateway's JS-heap allocation per chat in each round, KB (Node 26+) */
  allocatedKbPerChat: number[];
  /** a gateway's URL, for its GC time */
  url?: string;
}

export async function cpuVsPeerBench(ctx: BenchContext): Promise<BenchRow[]> {
  const chatsPerClient = ctx.options.cpuChats;
  const scenario = `cpu ${CONNECTIONS}×${chatsPerClient}`;
  const gateway = await ctx.gateway(REFERENCE_MODEL);
  const expected = benchAnswer(REFERENCE_MODEL.deltas);
  const missing = peerUnavailable();
  let peer: SeedPeer | undefined;
  if (missing) ctx.notes.push(`cpu: seed peer skipped — ${missing}`);
  else peer = await startSeedPeer({ llmBaseUrl: gateway.modelUrl, wechat: ctx.wechat });
  const base = ctx.baseCommand ? await ctx.gateway(REFERENCE_MODEL, 'base') : undefined;
  let relay: RelayServer | undefined;
  try {
    relay = await startRelayServer(gateway.modelUrl, ctx.gatewayCommand);
    const leg = (pid: number, group: string, url: string, label: string): Promise<Leg> =>
      ctx.load
        .request({ cmd: 'open', group, url, count: CONNECTIONS, codePrefix: ctx.codePrefix(label) })
        .then(() => ({ pid, group, cpuPerChat: [], samples: [], gcPerChat: [], allocatedKbPerChat: [] }));
    const ours = { ...(await leg(gateway.server.child.pid!, 'cpu-gateway', gateway.server.wsUrl, 'cpu-gw')), url: gateway.server.url };
    const theirs = peer && (await leg(peer.pid, 'cpu-peer', peer.wsUrl, 'cpu-peer'));
    const before = base && { ...(await leg(base.server.child.pid!, 'cpu-base', base.server.wsUrl, 'cpu-base')), url: base.server.url };
    const floor = await leg(relay.pid, 'cpu-floor', relay.wsUrl, 'cpu-floor');
    // as warm as the gateways, which bench-context.ts warms before any scenario
    ctx.checkIntegrity('cpu relay floor warm-up', await ctx.load.samples({ cmd: 'chat', group: floor.group, chatsPerClient: WARMUP.chatsPerClient, expected }));
    const legs = [ours, theirs, before, floor].filter((l) => l !== undefined);
    const rounds = ctx.options.quick ? ctx.options.rounds : Math.max(ctx.options.rounds, MIN_ROUNDS);
    for (let round = -1; round < rounds; round++) {
      for (const leg of round % 2 === 0 ? legs : [...legs].reverse()) {
        const gcBefore = leg.url ? await gcSoFar(leg.url) : undefined;
        const { cpu, result } = await cpuDuring(leg.pid, () => ctx.load.samples({ cmd: 'chat', group: leg.group, chatsPerClient, expected }));
        ctx.checkIntegrity(`cpu ${leg.group}`, result);
        if (round < 0) continue; // warm-up
        leg.cpuPerChat.push(cpu / result.length);
        if (leg.url && gcBefore) {
          const gc = await gcSoFar(leg.url);
          leg.gcPerChat.push((gc.ms - gcBefore.ms) / result.length);
          leg.allocatedKbPerChat.push((gc.allocatedBytes - gcBefore.allocatedBytes) / 1024 / result.length);
        }
        leg.samples.push(...result);
      }
    }
    for (const leg of legs) await ctx.load.request({ cmd: 'close', group: leg.group });
    return [...rows(scenario, ours, theirs, peer), ...floorRows(scenario, ours, floor, theirs), ...(before ? baseRows(scenario, ours, before) : [])];
  } finally {
    await peer?.stop();
    await relay?.stop();
  }
}

function rows(scenario: string, gateway: Leg, peer: Leg | undefined, peerProcess: SeedPeer | undefined): BenchRow[] {
  const gcPerChat = median(gateway.gcPerChat);
  const allocatedKb = median(gateway.allocatedKbPerChat);
  const label = 'seed peer (FastAPI)';
  const cpu = { gateway: median(gateway.cpuPerChat), peer: peer ? median(peer.cpuPerChat) : NaN };
  const ttfd = { gateway: p99(summarize(gateway.samples).ttfd), peer: peer ? p99(summarize(peer.samples).ttfd) : NaN };
  const out: BenchRow[] = [
    { scenario, metric: 'CPU per streamed chat (median of rounds)', value: cpu.gateway, unit: 'ms', ...(peer && { baseline: { label, value: cpu.peer } }) },
    { scenario, metric: 'of which GC (main thread, median of rounds)', value: gcPerChat, unit: 'ms' },
    { scenario, metric: 'JS heap allocated per chat (median of rounds)', value: allocatedKb, unit: 'KB' },
    { scenario, metric: 'TTFD p99', value: ttfd.gateway, unit: 'ms', ...(peer && { baseline: { label, value: ttfd.peer } }) },
    { scenario, metric: 'failed chats', value: summarize(gateway.samples).errors.length, unit: `of ${gateway.samples.length}`, ...(peer && { baseline: { label, value: summarize(peer.samples).errors.length } }) },
  ];
  if (peer && peerProcess) {
    const ratio = cpu.gateway / cpu.peer;
    console.log(`  ${scenario}: CPU per chat ${cpu.gateway.toFixed(2)} ms, peer ${cpu.peer.toFixed(2)} ms (×${ratio.toFixed(2)}); gateway GC ${gcPerChat.toFixed(3)} ms per chat, ${allocatedKb.toFixed(1)} KB allocated per chat; rounds ${gateway.cpuPerChat.map((c) => c.toFixed(2)).join(' ')} / ${peer.cpuPerChat.map((c) => c.toFixed(2)).join(' ')}`);
    out.splice(1, 0, { scenario, metric: 'CPU per chat, gateway ÷ peer', value: ratio, unit: '×', target: '≤ 0.25', pass: ratio <= 0.25 });
    out.push({ scenario, metric: 'peer peak RSS (VmHWM)', value: statusKb(peerProcess.pid, 'VmHWM') / 1024, unit: 'MB' });
  }
  return out;
}

/** The gateway against the Node relay floor, from the same rounds: the platform's share and the gateway's own. */
function floorRows(scenario: string, gateway: Leg, floor: Leg, peer: Leg | undefined): BenchRow[] {
  const label = 'Node relay floor';
  const cpu = { gateway: median(gateway.cpuPerChat), floor: median(floor.cpuPerChat), peer: peer ? median(peer.cpuPerChat) : NaN };
  console.log(
    `  ${scenario}: Node relay floor ${cpu.floor.toFixed(3)} ms per chat (gateway ${cpu.gateway.toFixed(3)}: its own features ${(cpu.gateway - cpu.floor).toFixed(3)} ms)` +
      `${peer ? `, floor ÷ peer ×${(cpu.floor / cpu.peer).toFixed(3)}` : ''}; rounds ${floor.cpuPerChat.map((c) => c.toFixed(2)).join(' ')}`,
  );
  return [
    { scenario, metric: 'CPU per streamed chat, gateway vs Node relay floor', value: cpu.gateway, unit: 'ms', baseline: { label, value: cpu.floor } },
    ...(peer ? [{ scenario, metric: 'CPU per chat, Node relay floor ÷ peer', value: cpu.floor / cpu.peer, unit: '×' }] : []),
    { scenario, metric: 'failed chats, Node relay floor', value: summarize(floor.samples).errors.length, unit: `of ${floor.samples.length}` },
  ];
}

/** This build against the `--base` one, from the same rounds. */
function baseRows(scenario: string, gateway: Leg, base: Leg): BenchRow[] {
  const label = 'base build (--base)';
  const cpu = { gateway: median(gateway.cpuPerChat), base: median(base.cpuPerChat) };
  const gc = { gateway: median(gateway.gcPerChat), base: median(base.gcPerChat) };
  const allocated = { gateway: median(gateway.allocatedKbPerChat), base: median(base.allocatedKbPerChat) };
  console.log(
    `  ${scenario}: this build ${cpu.gateway.toFixed(3)} ms per chat, base build ${cpu.base.toFixed(3)} ms (×${(cpu.gateway / cpu.base).toFixed(3)}); ` +
      `rounds ${gateway.cpuPerChat.map((c) => c.toFixed(2)).join(' ')} / ${base.cpuPerChat.map((c) => c.toFixed(2)).join(' ')}; ` +
      `JS heap allocated per chat ${allocated.gateway.toFixed(1)} vs ${allocated.base.toFixed(1)} KB`,
  );
  return [
    { scenario, metric: 'CPU per streamed chat, this build vs base', value: cpu.gateway, unit: 'ms', baseline: { label, value: cpu.base } },
    { scenario, metric: 'GC per chat, this build vs base', value: gc.gateway, unit: 'ms', baseline: { label, value: gc.base } },
    { scenario, metric: 'JS heap allocated per chat, this build vs base', value: allocated.gateway, unit: 'KB', baseline: { label, value: allocated.base } },
    { scenario, metric: 'failed chats, base build', value: summarize(base.samples).errors.length, unit: `of ${base.samples.length}` },
  ];
}
