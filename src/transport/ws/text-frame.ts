/**
 * A server's WebSocket text frame (RFC 6455 §5.2: FIN, opcode 1, unmasked) as one buffer.
 *
 * `ws` writes a frame as its header and its payload, corked: two stream writes and a writev
 * per frame. A streamed answer sends a frame per model delta, and one buffer through one write
 * costs ~1 µs less per frame (~15% of a frame's CPU, kernel included: docs/performance.md,
 * round 14). Only for sockets where ws would write the frame at once as it is: no extension
 * negotiated (permessage-deflate compresses, and queues, in ws's sender).
 */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.write(text, header, 'utf8');
  return frame;
}
