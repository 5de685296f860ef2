/**
 * The floor of a streaming gateway in Node on the cpu scenario's load: a bare `ws` server that logs
 * anyone in and relays each streamed chat from the model as the gateway's frames —
 * chat_processing, one chat_delta per model delta, chat_response — through the gateway's own
 * parts (src/llm/http-chat-stream.ts: undici + the SSE decoder; protocol/delta-frame-text.ts;
 * transport/ws/text-frame.ts, one write per frame). Nothing else: no store, no history, no limits,
 * no metrics, no answer registry, no retries. What Node, undici, ws and the kernel cost per
 * streamed chat, so that the gateway's own share of its CPU per chat can be told apart from the
 * platform's. Run on the gateway's Node with its flags. Prints its URL on stdout.
 *
 *   node --import tsx bench/baselines/ws-relay-server.ts --llm=http://127.0.0.1:PORT/v1
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer } from 'ws';
import { DEFAULT_SYSTEM_PROMPT } from '../../src/config/config-schema.js';
import { HttpChatStream } from '../../src/llm/http-chat-stream.js';
import { deltaFrameText } from '../../src/protocol/delta-frame-text.js';
import { chatResponseFrame, connectedFrame, errorFrame, loginResponseFrame, processingFrame } from '../../src/protocol/server-frame.js';
import { AppError } from '../../src/protocol/error-catalogue.js';
import { textFrame } from '../../src/transport/ws/text-frame.js';

const baseURL = process.argv.find((a) => a.startsWith('--llm='))?.slice('--llm='.length);
if (!baseURL) throw new Error('usage: ws-relay-server.ts --llm=<the model base URL>');
const model = new HttpChatStream({ baseURL, apiKey: 'bench' });

interface Chunk {
  choices?: { delta?: { content?: string | null } }[];
}

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/wechat/ws', perMessageDeflate: false, maxPayload: 64 * 1024 });

server.on('connection', (ws, request: IncomingMessage) => {
  const tcp = request.socket;
  const send = (frame: object | string) => tcp.write(textFrame(typeof frame === 'string' ? frame : JSON.stringify(frame)));
  let sessionId = '';

  async function relay(query: string): Promise<void> {
    const id = randomUUID();
    send(processingFrame({ id }));
    const delta = deltaFrameText(id);
    const messages = [
      { role: 'system' as const, content: DEFAULT_SYSTEM_PROMPT },
      { role: 'user' as const, content: query },
    ];
    const chunks = await model.open({ model: 'bench', messages, stream: true, stream_options: { include_usage: true } }, new AbortController().signal);
    let text = '';
    let index = 0;
    for await (const value of chunks) {
      const content = (value as Chunk).choices?.[0]?.delta?.content;
      if (!content) continue;
      text += content;
      send(delta(index++, content));
    }
    send(chatResponseFrame({ msg: text, id, session_id: sessionId }));
  }

  send(connectedFrame());
  ws.on('message', (raw) => {
    const message = JSON.parse(String(raw)) as { type: string; code?: string; query?: string };
    if (message.type === 'login') {
      sessionId = randomUUID();
      send(loginResponseFrame({ openid: `dev_${message.code}`, session_id: sessionId }));
    } else if (message.type === 'chat') {
      relay(message.query ?? '').catch((error: unknown) => send(errorFrame(new AppError('model_error', String(error)))));
    }
  });
});
server.on('listening', () => console.log(`ws://127.0.0.1:${(server.address() as { port: number }).port}/wechat/ws`));
process.once('SIGTERM', () => {
  model.close();
  server.close(() => process.exit(0));
});
