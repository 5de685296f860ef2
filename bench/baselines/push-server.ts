/** Starts the raw ws push server (bench/baselines/ws-push-server.ts) in its own process. */
import { pinServer } from '../support/cpu-pin.js';
import { startHelper, tsEntry, type HelperProcess } from '../support/child-process.js';

export interface PushServer extends HelperProcess {
  wsUrl: string;
  /** its event-loop delay p99 (ms) since the previous call */
  eventLoopP99Ms(): Promise<number>;
}

export async function startPushServer(frames: number, paceMs: number, nodeArgs: string[] = []): Promise<PushServer> {
  const [node, args] = tsEntry('baselines/ws-push-server.ts', [`--frames=${frames}`, `--pace=${paceMs}`]);
  const helper = await startHelper(node, [...nodeArgs, ...args]);
  pinServer(helper.pid);
  const httpUrl = helper.address.replace(/^ws:/, 'http:').replace(/\/wechat\/ws$/, '');
  return {
    ...helper,
    wsUrl: helper.address,
    async eventLoopP99Ms() {
      return ((await (await fetch(`${httpUrl}/eld`)).json()) as { p99Ms: number }).p99Ms;
    },
  };
}
