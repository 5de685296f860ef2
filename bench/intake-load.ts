/**
 * The intake benchmark's load generator, in its own process (never the gateway's event loop):
 * `connections` WebSocket clients, each logged in, each asking a chat as soon as the previous
 * one was answered (closed loop). Driven over stdin/stdout, one JSON line each way:
 *
 *   ← {"ready":true}                        once every client is logged in
 *   → {"run":3000}                          ask for 3 s, then let the chats in flight finish
 *   ← {"done":…,"acks":[ms…],"errors":{…}}  chats answered in the window, ack latencies, failures
 *
 *   node --import tsx bench/intake-load.ts <ws-url> <connections> <code-prefix>
 */
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

const [url, connectionsArg, prefix] = process.argv.slice(2);
const CONNECTIONS = Number(connectionsArg);
const CHAT = JSON.stringify({ type: 'chat', query: '你好，请问营业时间是几点？' });

interface Window {
  sending: boolean;
  done: number;
  acks: number[];
  errors: Record<string, number>;
}
let window: Window = { sending: false, done: 0, acks: [], errors: {} };
let inFlight = 0;
let drained: (() => void) | undefined;

class Client {
  private sentAt = 0;
  private acked = false;

  constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => this.onFrame(JSON.parse(data.toString())));
  }

  ask(): void {
    this.sentAt = performance.now();
    this.acked = false;
    inFlight++;
    this.socket.send(CHAT);
  }

  private onFrame(frame: { type: string; code: number; data: any }): void {
    if (frame.type === 'chat_processing') {
      if (!this.acked) window.acks.push(performance.now() - this.sentAt);
      this.acked = true;
      return;
    }
    if (frame.type !== 'chat_response' && frame.type !== 'error') return;
    inFlight--;
    // an answer without its acknowledgement, an error or an empty answer is a failed intake
    const ok = frame.type === 'chat_response' && frame.code === 0 && this.acked && typeof frame.data?.msg === 'string' && frame.data.msg !== '';
    if (ok) window.done++;
    else {
      const reason = frame.data?.reason ?? (this.acked ? `code ${frame.code}` : 'no chat_processing');
      window.errors[reason] = (window.errors[reason] ?? 0) + 1;
    }
    if (window.sending) this.ask();
    else if (inFlight === 0) drained?.();
  }
}

async function connect(i: number): Promise<Client> {
  const socket = new WebSocket(url!, { perMessageDeflate: false });
  await once(socket, 'open');
  const loggedIn = new Promise<void>((resolve, reject) => {
    socket.on('message', function onLogin(data) {
      const frame = JSON.parse(data.toString());
      if (frame.type !== 'login_response') return;
      socket.off('message', onLogin);
      if (frame.code === 0) resolve();
      else reject(new Error(`login failed: ${data.toString()}`));
    });
  });
  socket.send(JSON.stringify({ type: 'login', code: `${prefix}-${i}` }));
  await loggedIn;
  return new Client(socket);
}

// log in a batch at a time: a thousand handshakes at once would only measure the accept queue
const clients: Client[] = [];
for (let i = 0; i < CONNECTIONS; i += 50) {
  clients.push(...(await Promise.all(Array.from({ length: Math.min(50, CONNECTIONS - i) }, (_, j) => connect(i + j)))));
}
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as { run?: number };
  if (command.run === undefined) break;
  window = { sending: true, done: 0, acks: [], errors: {} };
  const current = window;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (const client of clients) client.ask();
  await new Promise((resolve) => setTimeout(resolve, command.run));
  current.sending = false;
  const wallMs = performance.now() - started;
  // chats still in flight finish (counted as answered after the window: not in `done`)
  const done = current.done;
  const acks = current.acks.slice();
  await new Promise<void>((resolve) => {
    drained = resolve;
    if (inFlight === 0) resolve();
    setTimeout(resolve, 10_000).unref();
  });
  const cpu = process.cpuUsage(cpuBefore);
  process.stdout.write(`${JSON.stringify({ done, wallMs, acks, errors: current.errors, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
}
process.exit(0);
