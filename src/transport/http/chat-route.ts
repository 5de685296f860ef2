import type { FastifyInstance } from 'fastify';
import type { SessionService } from '../../auth/session-service.js';
import type { AnswerResult } from '../../chat/answer-run.js';
import type { ChatService } from '../../chat/chat-service.js';
import type { ChatMedia } from '../../chat/chat-media.js';
import type { UsageLimits } from '../../limits/usage-limits.js';
import { httpChatBody } from '../../protocol/client-messages.js';
import { deltaFrame, httpBody, progressFrame, retractFrame, transcriptFrame, type ServerFrame } from '../../protocol/server-frame.js';
import { validate } from '../../protocol/validate.js';
import { answerProcessingFrame, answerResponseFrame } from '../answer-frames.js';
import { replyError } from './reply-error.js';
import { resolveAsker } from './resolve-asker.js';
import { startChat } from '../start-chat.js';

export interface ChatRouteOptions {
  sessions: SessionService;
  chat: ChatService;
  limits: UsageLimits;
  trustBareOpenid: boolean;
  /** photo and voice questions; absent = refused with a clear error */
  media?: ChatMedia | undefined;
}

/**
 * `POST /wechat/chat` (seed, deprecated). Without `stream` it answers with one JSON body, as
 * the seed does. With `stream: true` it answers as an event stream whose events carry exactly
 * the WebSocket frames (`data: {"type":"chat_delta",…}\n\n`, `chat_retract` when content
 * security withdraws the answer), ending with `chat_response`.
 * A client that hangs up cancels its answer (the partial answer is stored).
 * With `request_id` in the body, a retry of the same question within 10 minutes gets the same
 * answer (joined while generating, or the stored one) — never a second model call.
 */
export function registerChatRoute(app: FastifyInstance, options: ChatRouteOptions): void {
  app.post('/wechat/chat', async (request, reply) => {
    const parsed = validate(httpChatBody, request.body ?? {}, 'body');
    if (!parsed.ok) return replyError(reply, parsed.error);
    const body = parsed.data;
    let run;
    let joined;
    let transcript: string | undefined;
    let sessionId: string | null;
    try {
      const asker = await resolveAsker(request, body, options.sessions, options.trustBareOpenid);
      sessionId = asker.sessionId;
      // always started: without `stillWanted` startChat returns a run or throws
      const input = { query: body.query, useAutoRag: body.use_auto_rag, images: body.images, audio: body.audio };
      ({ run, joined, transcript } = (await startChat(options.limits, options.chat, asker, input, undefined, body.request_id, options.media))!);
    } catch (error) {
      return replyError(reply, error);
    }
    // 'close' on the response fires when the client goes away before the answer is sent: its
    // answer stops. A retry (same request_id) that joined an answer leaves it to its requester.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished && !joined) run.cancel();
    });

    if (!body.stream) {
      const result = await run.done;
      const frame = answerResponseFrame(result, sessionId, false);
      // a voice question's transcript rides along in the one JSON body
      if (transcript !== undefined && frame.type === 'chat_response') frame.data.transcript = transcript;
      const body = httpBody(frame);
      return reply.code(result.status === 'failed' ? (result.error?.status ?? 500) : 200).send(body);
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
    const write = (frame: ServerFrame) => raw.write(`data: ${JSON.stringify(frame)}\n\n`);
    write(answerProcessingFrame(run.id, true));
    if (transcript !== undefined) write(transcriptFrame({ id: run.id, text: transcript }));
    const done = (result: AnswerResult) => {
      write(answerResponseFrame(result, sessionId, true));
      raw.end();
    };
    // an answer that ended while its question was being stored, or a retry (same request_id)
    // of one that already ended: its final frame has the whole text
    if (run.result) return done(run.result);
    // a retry that joined an answer already streaming gets it from the start
    for (const delta of run.deltasFrom(0)) write(deltaFrame(delta));
    run.attach({
      delta: (delta) => write(deltaFrame(delta)),
      progress: (progress) => write(progressFrame(progress)),
      retract: (retraction) => write(retractFrame(retraction)),
      done,
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
