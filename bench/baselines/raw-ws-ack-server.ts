/**
 * The intake benchmark's baseline: a bare `ws` server in its own process that logs anyone in
 * and answers each chat with the gateway's two frames (chat_processing, chat_response) at once —
 * what this machine's sockets and JSON cost with no gateway logic, storage or limits. Prints its
 * URL on stdout.
 */
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 64 * 1024 });
const frame = (type: string, message: string, data: unknown) => JSON.stringify({ type, code: 0, message, data });

server.on('connection', (socket) => {
  socket.send(frame('connected', '连接成功', null));
  socket.on('message', (raw) => {
    const message = JSON.parse(raw.toString()) as { type: string; code?: string; query?: string };
    if (message.type === 'login') {
      socket.send(frame('login_response', '登录成功', { openid: `dev_${message.code}`, unionid: null, session_id: randomUUID() }));
    } else if (message.type === 'chat') {
      const id = randomUUID();
      socket.send(frame('chat_processing', '正在处理您的问题...', null));
      socket.send(frame('chat_response', '回复成功', { msg: `收到：${message.query}`, id, session_id: null }));
    }
  });
});
server.on('listening', () => {
  const { port } = server.address() as { port: number };
  console.log(`ws://127.0.0.1:${port}/wechat/ws`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
