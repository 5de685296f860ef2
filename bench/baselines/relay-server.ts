/** Starts the Node relay floor (bench/baselines/ws-relay-server.ts) in its own process, on the gateway's Node and flags. */
import { pinServer } from '../support/cpu-pin.js';
import { startHelper, tsEntry, type HelperProcess } from '../support/child-process.js';

export interface RelayServer extends HelperProcess {
  wsUrl: string;
}

/** `gatewayCommand`: how the gateway is started ([node, [...flags, entry]]): the relay gets the same Node and flags. */
export async function startRelayServer(llmBaseUrl: string, gatewayCommand?: [string, string[]]): Promise<RelayServer> {
  const [runnerNode, args] = tsEntry('baselines/ws-relay-server.ts', [`--llm=${llmBaseUrl}`]);
  const [node, gatewayArgs] = gatewayCommand ?? [runnerNode, []];
  const helper = await startHelper(node, [...gatewayArgs.slice(0, -1), ...args]);
  pinServer(helper.pid);
  return { ...helper, wsUrl: helper.address };
}
