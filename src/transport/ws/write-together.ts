import type { Socket } from 'node:net';

/**
 * Holds a socket's writes until this tick's callbacks and promise jobs have run, then sends
 * them as one `writev`: frames that are ready together (a resume's replay of every missed
 * delta, a retried request joining an answer mid-stream) leave in one system call and, on
 * loopback or a LAN, one TCP segment, instead of a write per frame.
 *
 * Not for every frame: a streamed delta arrives alone (one model read, one frame) and would
 * pay the cork and the extra tick for nothing. Nor for a question's acknowledgement: the
 * answer's final frame waits for the answer's commit, a later tick.
 */
export function writeTogether(tcp: Socket | undefined): void {
  if (tcp === undefined || tcp.writableCorked > 0 || tcp.destroyed) return;
  tcp.cork();
  process.nextTick(uncork, tcp);
}

function uncork(tcp: Socket): void {
  tcp.uncork();
}
