import type { Socket } from 'node:net';
import WebSocket from 'ws';

/** Bytes the TCP socket under `socket` has read: what crossed the wire, compressed or not (ws keeps that socket private). */
export const wireBytesRead = (socket: WebSocket): number => (socket as unknown as { _socket: Socket })._socket.bytesRead;

export interface Frame {
  type: string;
  code: number;
  message: string;
  data: any;
  request_id?: string | number;
}

/**
 * A real ws client that queues every frame, so a test can assert the exact sequence:
 * `await client.next()` takes the next frame, `nextOf('chat_response')` skips to one.
 */
export class WsTestClient {
  readonly frames: Frame[] = [];
  readonly raw: string[] = [];
  private readonly queue: Frame[] = [];
  private waiters: Array<() => void> = [];
  closeCode: number | undefined;
  closeReason = '';
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const text = data.toString();
      this.raw.push(text);
      const frame = JSON.parse(text) as Frame;
      this.frames.push(frame);
      this.queue.push(frame);
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.wake();
        resolve({ code, reason: this.closeReason });
      });
    });
  }

  /** `options.localAddress` picks the source address (e.g. 127.0.0.2), to look like another client IP. */
  static async connect(url: string, options?: WebSocket.ClientOptions): Promise<WsTestClient> {
    const socket = new WebSocket(url, options);
    const client = new WsTestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  async next(timeoutMs = 5_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode}) while waiting for a frame`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms; got so far: ${this.raw.join('\n')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.queue.shift()!;
  }

  /** Skips frames until one of `type` arrives; returns it and the skipped ones. */
  async nextOf(type: string, timeoutMs = 5_000): Promise<Frame & { skipped: Frame[] }> {
    const skipped: Frame[] = [];
    for (;;) {
      const frame = await this.next(timeoutMs);
      if (frame.type === type) return Object.assign(frame, { skipped });
      skipped.push(frame);
    }
  }

  /** Connects, reads `connected`, logs in with `code`; returns the login_response. */
  static async loggedIn(url: string, code = 'test_code', options?: WebSocket.ClientOptions): Promise<{ client: WsTestClient; login: Frame }> {
    const client = await WsTestClient.connect(url, options);
    await client.nextOf('connected');
    client.send({ type: 'login', code });
    const login = await client.nextOf('login_response');
    return { client, login };
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close();
    return this.closed;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
