import { connect, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /**
   * Holds back the next reply (server → client chunk) that contains `marker`, and whatever
   * follows it on that connection, until `release()`; resolves once one is held. A client can
   * thus be caught between sending a command and reading its answer.
   */
  holdNextReply(marker: string): Promise<void>;
  release(): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy in front of a real server (Redis here), for the moments a test cannot
 * get from the server itself: a reply that arrives only after the client has begun to close.
 * Half-closes pass through, so a client's FIN reaches the server while a held reply waits.
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let armed: { marker: Buffer; held: () => void } | undefined;
  const holding: Array<() => void> = [];
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
    let held: Array<Buffer | null> | undefined;
    const deliver = (chunk: Buffer | null) => (chunk ? client.write(chunk) : client.end());
    upstream.on('data', (chunk: Buffer) => {
      if (!held && armed && chunk.includes(armed.marker)) {
        held = [];
        holding.push(() => {
          for (const item of held!) deliver(item);
          held = undefined;
        });
        armed.held();
        armed = undefined;
      }
      if (held) held.push(chunk);
      else deliver(chunk);
    });
    upstream.on('end', () => (held ? held.push(null) : deliver(null)));
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    client.on('end', () => upstream.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    holdNextReply: (marker) => new Promise<void>((resolve) => (armed = { marker: Buffer.from(marker), held: resolve })),
    release: () => {
      for (const go of holding.splice(0)) go();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
