/**
 * The HTTP benchmark's ceiling: a bare `node:http` server in its own process answering
 * `GET /wechat/health` with a body shaped like the gateway's — what this machine's sockets,
 * HTTP parsing and JSON cost with no framework, store ping or hooks. Prints its URL on stdout.
 */
import { createServer } from 'node:http';

const started = Date.now();
const server = createServer((request, response) => {
  if (request.url !== '/wechat/health') {
    response.writeHead(404).end();
    return;
  }
  const body = JSON.stringify({
    code: 0,
    message: '服务正常',
    timestamp: new Date().toISOString(),
    data: { store: { driver: 'sqlite', ok: true }, llm: { mode: 'offline', model: null }, wechat: { mode: 'wechat' }, connections: 0, active_answers: 0, uptime_s: Math.round((Date.now() - started) / 1000), draining: false },
  });
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`http://127.0.0.1:${port}`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
