import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import * as wsModule from 'ws';
import WebSocket, { WebSocketServer } from 'ws';
import { textFrame } from './text-frame.js';

/** What ws's own sender writes for `text`, as one buffer. */
function wsFrame(text: string): Buffer {
  // ws's sender is exported by its ESM wrapper, not by its types
  const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } };
  const [header, payload] = Sender.frame(Buffer.from(text), {
    fin: true,
    opcode: 1,
    mask: false,
    readOnly: false,
    rsv1: false,
  });
  return Buffer.concat([header!, ...(payload ? [payload] : [])]);
}

describe('textFrame', () => {
  it('is byte for byte the frame ws writes, at every length encoding and in UTF-8', () => {
    for (const text of ['', 'a', 'x'.repeat(125), 'x'.repeat(126), '你'.repeat(42), 'y'.repeat(0xffff), 'z'.repeat(0x10000), '好'.repeat(30_000)]) {
      assert.deepEqual(textFrame(text), wsFrame(text), `length ${Buffer.byteLength(text)}`);
    }
  });

  it('interleaved with ws.send on the same socket, a real client reads every message in order', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[WebSocket, { socket: Socket }]>;
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}`);
    const [ws, request] = await accepted;
    const got: string[] = [];
    const all = new Promise<void>((resolve) => client.on('message', (data) => got.push(String(data)) === 300 && resolve()));
    const sent: string[] = [];
    for (let i = 0; i < 300; i++) {
      const text = `${i}:${'答'.repeat(i * 7)}`;
      sent.push(text);
      if (i % 3 === 0) ws.send(text);
      else request.socket.write(textFrame(text));
    }
    await all;
    assert.deepEqual(got, sent);
    client.close();
    server.close();
  });
});
