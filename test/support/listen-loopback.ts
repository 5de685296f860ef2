import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on a loopback address (port 0 = any free port); resolves with the bound origin. */
export async function listenLoopback(server: Server, port = 0, host = '127.0.0.1'): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { address, port: bound } = server.address() as AddressInfo;
  return `http://${address}:${bound}`;
}
