import { startFakeLlmServer, type FakeLlmOptions, type FakeLlmServer } from './fake-llm-server.js';
import { startGateway, type RunningGateway } from './start-gateway.js';
import type { StoreKind } from './store-kinds.js';

export interface GatewayOnStore {
  llm: FakeLlmServer;
  gw: RunningGateway;
  /** stops the gateway, closes the fake model and empties the store (`kind.cleanup`) */
  stop(): Promise<void>;
}

/**
 * A fake LLM and a gateway on one of `storeKinds()`' real stores: the setup of the suites that
 * run the same protocol tests on SQLite and on Redis.
 *
 * @example
 * for (const kind of storeKinds()) {
 *   describe(`… (${kind.label})`, () => {
 *     let gw: RunningGateway;
 *     let stop: () => Promise<void>;
 *     before(async () => ({ gw, stop } = await startGatewayOnStore(kind)));
 *     after(() => stop?.());
 *   });
 * }
 */
export async function startGatewayOnStore(kind: StoreKind, llmOptions: FakeLlmOptions = { apiKey: 'test-key' }): Promise<GatewayOnStore> {
  const llm = await startFakeLlmServer(llmOptions);
  const gw = await startGateway({ llm, store: kind.store });
  return {
    llm,
    gw,
    async stop() {
      await gw.stop();
      await llm.close();
      await kind.cleanup();
    },
  };
}
