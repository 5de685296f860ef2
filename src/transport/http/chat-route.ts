import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SessionService } from '../../auth/session-service.js';
import type { ChatService } from '../../chat/chat-service.js';
import { deltaFrame, processingFrame, progressFrame, responseFrame } from '../answer-frames.js';
import { badRequest, replyError } from './reply-error.js';
import { resolveAsker } from './resolve-asker.js';

const chatBody = z.looseObject({
  query: z.string({ error: 'query 必须是字符串' }),
  openid: z.string().min(1).max(128).optional(),
  session_id: z.string().min(1).max(256).optional(),
  use_auto_rag: z.boolean().optional().default(false),
  /** answer as text/event-stream (wx.request with enableChunked) */
  stream: z.boolean().optional().default(false),
});

export interface ChatRouteOptions {
  sessions: SessionService;
  chat: ChatService;
  trustBareOpenid: boolean;
}

/**
 * `POST /wechat/chat` (seed, deprecated). Without `stream` it answers with one JSON body, as
 * the seed does. With `stream: true` it answers as an event stream whose events carry exactly
 * the WebSocket frames (`data: {"type":"chat_delta",…}\n\n`), ending with `chat_response`.
 * A client that hangs up cancels its answer (the partial answer is stored).
 */
export function registerChatRoute(app: FastifyInstance, options: ChatRouteOptions): void {
  app.post('/wechat/chat', async (request, reply) => {
    const parsed = chatBody.safeParse(request.body ?? {});
    if (!parsed.success) return replyError(reply, badRequest(parsed.error.issues));
    const body = parsed.data;
    let run;
    let sessionId: string | null;
    try {
      const asker = await resolveAsker(request, body, options.sessions, options.trustBareOpenid);
      sessionId = asker.sessionId;
      run = options.chat.start(asker, { query: body.query, useAutoRag: body.use_auto_rag });
    } catch (error) {
      return replyError(reply, error);
    }
    // 'close' on the response fires when the client goes away before the answer is sent.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) run.cancel();
    });

    if (!body.stream) {
      const result = await run.done;
      const { type: _type, ...frame } = responseFrame(result, sessionId, false);
      return reply.code(result.status === 'failed' ? (result.error?.status ?? 500) : 200).send(frame);
    }

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx must not buffer the stream
      'x-accel-buffering': 'no',
      ...corsHeaders(reply.getHeaders()),
    });
    const write = (frame: object) => raw.write(`data: ${JSON.stringify(frame)}\n\n`);
    write(processingFrame(run.id, true));
    run.attach({
      delta: (delta) => write(deltaFrame(delta)),
      progress: (progress) => write(progressFrame(progress)),
      done: (result) => {
        write(responseFrame(result, sessionId, true));
        raw.end();
      },
    });
  });
}

/** Hijacked replies skip Fastify's onSend hooks: carry over the CORS headers already set. */
function corsHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('access-control-') && value !== undefined) out[name] = String(value);
  }
  return out;
}
