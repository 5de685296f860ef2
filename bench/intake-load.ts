/**
 * The intake benchmark's load generator, in its own process (never the gateway's event loop):
 * `connections` WebSocket clients, each logged in. Driven over stdin/stdout, one JSON line each way:
 *
 *   ← {"ready":true}                        once every client is logged in
 *   → {"run":3000,"clients":200}            closed loop for 3 s on the first 200 clients: each asks
 *                                           again as soon as it is answered (maximum throughput)
 *   → {"run":3000,"rate":5000}              open loop for 3 s: chats are scheduled at 5000/s from
 *                                           this process, whatever the gateway does
 *   ← {"done":…,"acks":[ms…],"errors":{…},"backlog":…,"cpuMs":…}
 *
 * Open loop avoids coordinated omission (wrk2's way): each chat has a scheduled send time and
 * its acknowledgement latency is measured from that time, not from when a free client could
 * send it. A client has one chat in flight at a time (the protocol answers one chat per session
 * at once), so when every client is busy the scheduled chats queue here and that wait counts:
 * the pool must be large enough (rate × round trip) not to be the bottleneck itself.
 * `backlog` is how many scheduled chats were still unsent when the window closed.
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
  /** open loop: scheduled send times not sent yet (a queue: `head` is the next one) */
  pending: number[] | undefined;
  head: number;
  done: number;
  acks: number[];
  errors: Record<string, number>;
}
let window: Window = { sending: false, pending: undefined, head: 0, done: 0, acks: [], errors: {} };
let inFlight = 0;
let drained: (() => void) | undefined;
const free: Client[] = [];

class Client {
  /** when the chat was due: the actual send time in closed loop, the scheduled one in open loop */
  private dueAt = 0;
  private acked = false;

  constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => this.onFrame(JSON.parse(data.toString())));
  }

  ask(dueAt = performance.now()): void {
    this.dueAt = dueAt;
    this.acked = false;
    inFlight++;
    this.socket.send(CHAT);
  }

  private onFrame(frame: { type: string; code: number; data: any }): void {
    if (frame.type === 'chat_processing') {
      if (!this.acked) window.acks.push(performance.now() - this.dueAt);
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
    const { pending } = window;
    if (pending) {
      // open loop: the next scheduled chat, if one is waiting, else back to the pool
      if (window.head < pending.length) this.ask(pending[window.head++]);
      else free.push(this);
    } else if (window.sending) this.ask();
    if (inFlight === 0 && !window.sending) drained?.();
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

/** Open loop: every millisecond, schedules the chats due by now and hands them to free clients. */
function schedule(current: Window, rate: number, started: number): () => void {
  let issued = 0;
  const tick = () => {
    const pending = current.pending!;
    const due = Math.floor(((performance.now() - started) * rate) / 1000);
    for (; issued < due; issued++) pending.push(started + (issued * 1000) / rate);
    while (current.head < pending.length && free.length > 0) free.pop()!.ask(pending[current.head++]);
  };
  const timer = setInterval(tick, 1);
  return () => clearInterval(timer);
}

// log in a batch at a time: a thousand handshakes at once would only measure the accept queue
const clients: Client[] = [];
for (let i = 0; i < CONNECTIONS; i += 50) {
  clients.push(...(await Promise.all(Array.from({ length: Math.min(50, CONNECTIONS - i) }, (_, j) => connect(i + j)))));
}
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as { run?: number; rate?: number; clients?: number };
  if (command.run === undefined) break;
  const open = command.rate !== undefined && command.rate > 0;
  window = { sending: true, pending: open ? [] : undefined, head: 0, done: 0, acks: [], errors: {} };
  const current = window;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let stop = () => {};
  if (open) {
    free.length = 0;
    free.push(...clients);
    stop = schedule(current, command.rate!, started);
  } else for (const client of clients.slice(0, command.clients ?? clients.length)) client.ask();
  await new Promise((resolve) => setTimeout(resolve, command.run));
  stop();
  current.sending = false;
  const wallMs = performance.now() - started;
  // chats still in flight finish (counted as answered after the window: not in `done`);
  // scheduled chats not sent yet are dropped and reported as the backlog
  const done = current.done;
  // closed loop: the acks in the window; open loop: every chat sent in it, the late ones too
  const windowAcks = current.acks.slice();
  const backlog = open ? current.pending!.length - current.head : 0;
  if (open) current.head = current.pending!.length;
  await new Promise<void>((resolve) => {
    drained = resolve;
    if (inFlight === 0) resolve();
    setTimeout(resolve, 10_000).unref();
  });
  const cpu = process.cpuUsage(cpuBefore);
  const acks = open ? current.acks : windowAcks;
  process.stdout.write(`${JSON.stringify({ done, wallMs, acks, errors: current.errors, backlog, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
}
process.exit(0);
