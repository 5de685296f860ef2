import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { until } from '../../../test/support/wait.js';
import { writeTogether } from './write-together.js';

/** a real loopback connection: the sending side, and everything the other side reads */
async function connection(): Promise<{ socket: Socket; received: () => string; close: () => Promise<void> }> {
  let text = '';
  const server = createServer((peer) => peer.on('data', (d) => (text += d)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return { socket, received: () => text, close: () => { socket.destroy(); return new Promise((resolve) => server.close(() => resolve())); } };
}

describe('writeTogether', () => {
  it('holds the writes of this tick, promise jobs included, and sends them in order once it ends', async () => {
    const { socket, received, close } = await connection();
    writeTogether(socket);
    writeTogether(socket); // a second call in the same tick corks once
    socket.write('a');
    await Promise.resolve();
    socket.write('b');
    assert.equal(socket.writableCorked, 1);
    assert.equal(socket.writableLength, 2, 'nothing written yet');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(socket.writableCorked, 0);
    await until(() => received() === 'ab', 'both writes received, in order');
    await close();
  });

  it('leaves a closed socket alone', async () => {
    const { socket, close } = await connection();
    socket.destroy();
    writeTogether(socket);
    assert.equal(socket.writableCorked, 0);
    writeTogether(undefined);
    await close();
  });
});
