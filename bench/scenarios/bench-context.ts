/**
 * What every scenario of `npm run bench` gets: the load generator, the fake WeChat, gateways
 * started on demand (one per fake-model shape, reused across scenarios), the options, and the
 * place to report integrity failures — any of which fails the run.
 */
import type { SpawnedServer } from '../../test/support/spawn-server.js';
import type { FakeWechatServer } from '../../test/support/fake-wechat-server.js';
import type { LoadGenerator } from '../load/load-generator.js';
import type { ChatSample } from '../load/load-protocol.js';
import { benchAnswer } from '../support/bench-answer.js';
import { startFakeModel, type HelperProcess } from '../support/child-process.js';
import { startGatewayProcess } from '../support/gateway-process.js';
import { summarize, tally } from '../support/samples.js';
import type { BenchOptions } from '../bench-options.js';
import type { BenchRow } from '../bench-row.js';
import { gcOf, statusKb } from '../support/proc-stats.js';

/** The fake model's answer shape. */
export interface ModelShape {
  deltas: number;
  /** ms between deltas */
  pace: number;
  /** ms before the first delta */
  ttft: number;
}

/** 64 deltas @ 20 ms: the issue's stall-free and per-delta-gap load */
export const PACED_MODEL: ModelShape = { deltas: 64, pace: 20, ttft: 0 };
/** the issue's reference load: 50 ms to first token, 20 deltas 5 ms apart */
export const REFERENCE_MODEL: ModelShape = { deltas: 20, pace: 5, ttft: 50 };
/**
 * The reference first token with a stream as long as the paced one (~1.3 s), for TTFD while
 * 200 streams are in flight: holding 200 of the reference's 150 ms answers in flight would
 * take ~1,300 new chats a second — an intake flood, not streams in flight.
 */
export const STEADY_MODEL: ModelShape = { deltas: 64, pace: 20, ttft: 50 };

/**
 * Chats every new gateway serves before any scenario measures it: a production gateway has
 * answered thousands, so its per-chat code is compiled and its pools are warm. A fresh process
 * interprets that code for its first few hundred chats (measured: TTFD at 1 stream is ~0.5 ms
 * slower then), which is start-up cost, not the steady cost each figure describes.
 */
export const WARMUP = { clients: 100, chatsPerClient: 5 };

export interface GatewayUnderTest {
  server: SpawnedServer;
  /** the model's base URL, for the direct baseline */
  modelUrl: string;
  shape: ModelShape;
}

export class BenchContext {
  readonly failures: string[] = [];
  readonly notes: string[] = [];
  private readonly models = new Map<ModelShape, Promise<HelperProcess>>();
  /** by build, then by model shape */
  private readonly gateways = { this: new Map<ModelShape, Promise<GatewayUnderTest>>(), base: new Map<ModelShape, Promise<GatewayUnderTest>>() };
  private codes = 0;

  constructor(
    readonly options: BenchOptions,
    readonly load: LoadGenerator,
    readonly wechat: FakeWechatServer,
    /** how the gateway is started when --node picked another Node */
    readonly gatewayCommand?: [string, string[]],
    /** how the other build (`--base`) is started; absent = none */
    readonly baseCommand?: [string, string[]],
  ) {}

  log(line: string): void {
    console.log(`  ${line}`);
  }

  /** A login-code prefix used once per run: the fake WeChat accepts each code once. */
  codePrefix(label: string): string {
    return `${label}-${++this.codes}-`;
  }

  /** The fake model process for this shape, started on first use. */
  model(shape: ModelShape): Promise<HelperProcess> {
    let started = this.models.get(shape);
    if (!started) this.models.set(shape, (started = startFakeModel(shape)));
    return started;
  }

  /** The gateway for this model shape, started on first use and shared by the scenarios; `base`: the `--base` build's. */
  gateway(shape: ModelShape, build: 'this' | 'base' = 'this'): Promise<GatewayUnderTest> {
    const gateways = this.gateways[build];
    let started = gateways.get(shape);
    if (!started) {
      started = (async () => {
        const model = await this.model(shape);
        const server = await startGatewayProcess({
          llmBaseUrl: model.address,
          wechat: this.wechat,
          coalesceMs: this.options.coalesceMs,
          command: build === 'base' ? this.baseCommand : this.gatewayCommand,
        });
        // GC_MODE=auto decides at start (one CPU, as pinned: single-threaded): say which ran
        const gc = `${build === 'base' ? 'base build' : 'gateway'} (${shapeLabel(shape)}): ${gcOf(server.child.pid!)} GC`;
        if (!this.notes.includes(gc)) this.notes.push(gc);
        console.log(`  ${gc}`);
        await this.warmUp(server, shape);
        return { server, modelUrl: model.address, shape };
      })();
      gateways.set(shape, started);
    }
    return started;
  }

  private async warmUp(server: SpawnedServer, shape: ModelShape): Promise<void> {
    const group = `warm-up-${++this.codes}`;
    await this.load.request({ cmd: 'open', group, url: server.wsUrl, count: WARMUP.clients, codePrefix: this.codePrefix(group) });
    const samples = await this.load.samples({ cmd: 'chat', group, chatsPerClient: WARMUP.chatsPerClient, expected: benchAnswer(shape.deltas) });
    await this.load.request({ cmd: 'close', group });
    this.checkIntegrity(`warm-up (${samples.length} chats)`, samples);
  }

  /** Records any dropped / duplicated / reordered delta: the run then exits non-zero. */
  checkIntegrity(label: string, samples: readonly ChatSample[]): void {
    const { violations } = summarize(samples);
    if (violations.length > 0) this.failures.push(`${label}: ${violations.length} integrity problems — ${tally(violations)}`);
  }

  /** Peak RSS (VmHWM) of every gateway this run started, read before they stop. */
  async peakRssRows(): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    for (const [build, gateways] of Object.entries(this.gateways)) {
      for (const started of gateways.values()) {
        // a gateway that failed to start was reported by its scenario (which crashed)
        const gateway = await started.catch(() => undefined);
        if (!gateway) continue;
        const { server, shape } = gateway;
        const kb = statusKb(server.child.pid!, 'VmHWM');
        const which = build === 'base' ? 'base build' : 'gateway';
        rows.push({ scenario: `${which} (${shapeLabel(shape)})`, metric: 'peak RSS (VmHWM) over the run', value: kb / 1024, unit: 'MB' });
      }
    }
    return rows;
  }

  async stop(): Promise<void> {
    for (const gateways of Object.values(this.gateways)) {
      for (const started of gateways.values()) await (await started.catch(() => undefined))?.server.stop().catch(() => {});
      gateways.clear();
    }
    for (const started of this.models.values()) await (await started.catch(() => undefined))?.stop().catch(() => {});
    this.models.clear();
  }
}

function shapeLabel(shape: ModelShape): string {
  return `${shape.ttft ? `${shape.ttft} ms to first, ` : ''}${shape.deltas} deltas @ ${shape.pace} ms`;
}
