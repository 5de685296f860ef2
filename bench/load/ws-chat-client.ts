/**
 * One logged-in WeChat-style client of the load generator: a real `ws` socket that logs in with
 * a code (the gateway or the seed peer asks the fake WeChat for the openid) and times streamed
 * chats frame by frame. Works for both servers: the peer's deltas carry no index.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { checkDeltas, type ReceivedDelta } from './delta-integrity.js';
import type { ChatSample } from './load-protocol.js';

interface Frame {
  type: string;
  code: number;
  message: string;
  data: { index?: number; delta?: string; msg?: string } | null;
}

export class WsChatClient {
  private onFrame: ((frame: Frame, at: number) => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => this.onFrame?.(JSON.parse(data.toString()) as Frame, performance.now()));
  }

  /** Connects from `localAddress` and resolves once `login_response` says the login worked. */
  static async open(url: string, code: string, localAddress?: string): Promise<WsChatClient> {
    const socket = new WebSocket(url, { perMessageDeflate: false, ...(localAddress && { localAddress }) });
    const client = new WsChatClient(socket);
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => reject(error);
      socket.once('error', fail);
      socket.once('close', (closeCode) => reject(new Error(`closed with ${closeCode} before login`)));
      socket.once('open', () => socket.send(JSON.stringify({ type: 'login', code })));
      client.onFrame = (frame) => {
        if (frame.type !== 'login_response') return;
        socket.removeAllListeners('close');
        socket.off('error', fail);
        socket.on('error', () => {}); // reported through the chat that notices the closed socket
        if (frame.code !== 0) return reject(new Error(`login failed: ${frame.code} ${frame.message}`));
        resolve();
      };
    });
    client.onFrame = undefined;
    return client;
  }

  /** Sends `{"type":"ping"}` every `everyMs`, first after `firstMs` (phones' heartbeats are spread out). */
  startHeartbeat(firstMs: number, everyMs: number): void {
    const ping = () => this.socket.readyState === WebSocket.OPEN && this.socket.send('{"type":"ping"}');
    this.heartbeat = setTimeout(() => {
      ping();
      this.heartbeat = setInterval(ping, everyMs);
    }, firstMs);
  }

  /** One streamed chat, timed from the send to each delta; never rejects (failures are in the sample). */
  chat(expected: string, keepGaps: boolean, timeoutMs: number): Promise<ChatSample> {
    return new Promise((resolve) => {
      const deltas: ReceivedDelta[] = [];
      const gaps: number[] = [];
      const start = performance.now();
      let last = start;
      let ttfd = NaN;
      let maxGap = 0;
      const finish = (error: string | undefined, finalText?: string) => {
        clearTimeout(timer);
        this.onFrame = undefined;
        this.socket.off('close', closed);
        const violations = checkDeltas({ deltas, finalText, expected: error ? undefined : expected });
        resolve({ ttfd, maxGap, deltas: deltas.length, total: performance.now() - start, violations, ...(keepGaps && { gaps }), ...(error && { error }) });
      };
      const closed = (code: number) => finish(`socket closed (${code})`);
      const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
      this.socket.once('close', closed);
      this.onFrame = (frame, at) => {
        if (frame.type === 'chat_delta') {
          if (Number.isNaN(ttfd)) ttfd = at - start;
          else {
            const gap = at - last;
            if (gap > maxGap) maxGap = gap;
            if (keepGaps) gaps.push(gap);
          }
          last = at;
          deltas.push({ index: frame.data?.index, delta: frame.data?.delta ?? '' });
        } else if (frame.type === 'chat_response') {
          if (frame.code === 0) finish(undefined, frame.data?.msg ?? '');
          else finish(`chat_response ${frame.code} ${frame.message}`);
        } else if (frame.type === 'error') {
          finish(`error ${frame.code} ${frame.message}`);
        }
      };
      this.socket.send(JSON.stringify({ type: 'chat', query: '基准测试的问题', stream: true }));
    });
  }

  close(): void {
    clearTimeout(this.heartbeat);
    clearInterval(this.heartbeat);
    this.socket.terminate();
  }
}
