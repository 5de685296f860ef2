/** Starts the Node relay floor (bench/baselines/ws-relay-server.ts) in its own process, on the gateway's Node and flags. */
import { SINGLE_THREADED_GC } from '../../src/runtime/gc-mode.js';
import { pinned, pinServer } from '../support/cpu-pin.js';
import { startHelper, tsEntry, type HelperProcess } from '../support/child-process.js';

export interface RelayServer extends HelperProcess {
  wsUrl: string;
}

/** `gatewayCommand`: how the gateway is started ([node, [...flags, entry]]): the relay gets the same Node and flags. */
export async function startRelayServer(llmBaseUrl: string, gatewayCommand?: [string, string[]]): Promise<RelayServer> {
  const [runnerNode, args] = tsEntry('baselines/ws-relay-server.ts', [`--llm=${llmBaseUrl}`]);
  const [node, gatewayArgs] = gatewayCommand ?? [runnerNode, []];
  // pinned, the gateway has one CPU and so (GC_MODE=auto) single-threaded GC: the floor runs as it does
  const gcFlags = pinned() ? [SINGLE_THREADED_GC] : [];
  const helper = await startHelper(node, [...gatewayArgs.slice(0, -1), ...gcFlags, ...args]);
  pinServer(helper.pid);
  return { ...helper, wsUrl: helper.address };
}
