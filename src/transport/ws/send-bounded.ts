import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { ServerFrame } from '../../protocol/server-frame.js';
import { textFrame } from './text-frame.js';
import type { WsConnectionDeps, WsShared } from './ws-connection-deps.js';

/**
 * Below this many queued bytes a socket is keeping up, and the total across sockets is not
 * computed: that sum is only worth its cost for a socket that is falling behind.
 */
const BEHIND_BYTES = 64 * 1024;

/**
 * Sends a frame unless the socket is closed, or its client has stopped reading: one that is
 * past its own bound, or behind while all sockets together are past theirs, would hold our
 * memory, so it is dropped without a close handshake (it would not read that either; it sees
 * 1006). Returns false when it dropped the socket. With `tcp` (the socket's own TCP connection,
 * given only when no extension is negotiated) the frame is written to it directly as one buffer
 * (text-frame.ts): what ws would write, with one write instead of three.
 */
export function sendBounded(
  socket: WebSocket,
  /** a frame, or its wire text already serialised (chat_delta: protocol/delta-frame-text.ts) */
  frame: ServerFrame | string,
  limits: Pick<WsConnectionDeps['limits'], 'maxBufferedBytes' | 'maxTotalBufferedBytes'>,
  shared: Pick<WsShared, 'totalBufferedBytes'>,
  tcp?: Socket,
): boolean {
  if (socket.readyState !== WebSocket.OPEN) return true;
  const buffered = socket.bufferedAmount;
  if (buffered > limits.maxBufferedBytes || (buffered > BEHIND_BYTES && shared.totalBufferedBytes() > limits.maxTotalBufferedBytes)) {
    socket.terminate();
    return false;
  }
  const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
  if (tcp) tcp.write(textFrame(text));
  else socket.send(text);
  return true;
}
