/**
 * RSS per idle logged-in WebSocket: the compiled server (`node dist/main.js`, dev login,
 * SQLite, no knowledge-base samples) and this process as the client, so the clients' memory
 * is not counted. For each N, a fresh server: full GC + settled RSS, then N sockets open and
 * log in (`login` with a code; `login_response` awaited), another full GC + settled RSS;
 * (after − before) / N. Each socket pings every 30 s, as the mini-program's heartbeat does.
 * The per-IP and anonymous caps and the per-IP rates are lifted through the environment as an
 * operator would for a load test; sockets spread over source addresses 127.0.0.1… (one
 * "client IP" per 5,000) so no address runs out of ephemeral ports. Needs `ulimit -n` above
 * N plus a margin in this shell (the server inherits it).
 *
 *   npm run bench:idle-sockets [-- --sockets=2000,10000]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { spawnServer } from '../test/support/spawn-server.js';
import { gcOnSignal, measureAfterGc } from './process-rss.js';

const COUNTS = (process.argv.find((a) => a.startsWith('--sockets='))?.split('=')[1] ?? '2000,10000').split(',').map(Number);
const HEARTBEAT_MS = 30_000;
/** sockets opening at once: enough to be quick, few enough not to look like a flood */
const BATCH = 200;
const PER_ADDRESS = 5_000;

/** open files this shell allows each process (server and client alike); a margin for the rest */
const FD_LIMIT = Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim()) || Infinity;
const FD_MARGIN = 200;

const env = {
  LOG_LEVEL: 'warn',
  KB_LOAD_SAMPLE: 'false',
  WS_MAX_CONNECTIONS_PER_IP: '100000',
  WS_MAX_UNAUTHENTICATED: '100000',
  IP_CONNECTIONS_PER_MINUTE: '0',
  IP_LOGINS_PER_MINUTE: '0',
};

/** Opens a socket, logs in with a dev code and resolves once `login_response` says it worked. */
function openLoggedIn(url: string, index: number): Promise<WebSocket> {
  const localAddress = `127.0.0.${1 + Math.floor(index / PER_ADDRESS)}`;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { localAddress, perMessageDeflate: false });
    socket.on('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'login', code: `idle-socket-${index}` })));
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; code: number; message: string };
      if (frame.type !== 'login_response') return;
      if (frame.code !== 0) return reject(new Error(`login ${index} failed: ${frame.message}`));
      socket.removeAllListeners('message');
      resolve(socket);
    });
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'wag-idle-sockets-'));
const memoryFile = join(scratch, 'memory.json');
const measure = (pid: number, send: (signal: NodeJS.Signals) => void) => measureAfterGc(pid, memoryFile, send);

console.log(`RSS per idle logged-in socket — node ${process.version}, compiled server (dist/main.js), dev login, SQLite\n`);
console.log('sockets | RSS before | RSS after | RSS / socket | JS heap / socket');
console.log('--------|------------|-----------|--------------|-----------------');
for (const count of COUNTS) {
  if (count + FD_MARGIN > FD_LIMIT) {
    console.log(`${String(count).padStart(7)} | skipped: \`ulimit -n\` is ${FD_LIMIT}, raise it above ${count + FD_MARGIN}`);
    continue;
  }
  const server = await spawnServer(env, { nodeArgs: ['--expose-gc', '--import', gcOnSignal(memoryFile)] });
  const sockets: WebSocket[] = [];
  const heartbeats: NodeJS.Timeout[] = [];
  try {
    const pid = server.child.pid!;
    const before = await measure(pid, (signal) => server.child.kill(signal));
    for (let i = 0; i < count; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => openLoggedIn(server.wsUrl, i + j));
      sockets.push(...(await Promise.all(batch)));
    }
    // heartbeats spread over the interval, as many phones would send them
    sockets.forEach((socket, i) => {
      const start = setTimeout(() => {
        socket.send('{"type":"ping"}');
        heartbeats.push(setInterval(() => socket.send('{"type":"ping"}'), HEARTBEAT_MS));
      }, (i / count) * HEARTBEAT_MS);
      heartbeats.push(start);
    });
    const after = await measure(pid, (signal) => server.child.kill(signal));
    const perSocket = ((after.rss - before.rss) * 1024) / count;
    const heapPerSocket = ((after.heap - before.heap) * 1024) / count;
    console.log(
      `${String(count).padStart(7)} | ${before.rss.toFixed(0).padStart(7)} MB | ${after.rss.toFixed(0).padStart(6)} MB | ` +
        `${perSocket.toFixed(1).padStart(9)} KB | ${heapPerSocket.toFixed(1).padStart(12)} KB`,
    );
  } finally {
    heartbeats.forEach(clearTimeout);
    for (const socket of sockets) socket.terminate();
    await server.stop();
  }
}
rmSync(scratch, { recursive: true, force: true });
