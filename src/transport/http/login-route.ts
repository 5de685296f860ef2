import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SessionService } from '../../auth/session-service.js';
import { seedText } from '../../protocol/server-messages.js';
import { badRequest, replyError } from './reply-error.js';

const loginBody = z.looseObject({ code: z.string().min(1).max(512) });

/**
 * `POST /wechat/login` (seed, deprecated in favour of the WebSocket). Returns the seed's
 * {openid, unionid} plus `session_id`, which authenticates `POST /wechat/chat`.
 */
export function registerLoginRoute(app: FastifyInstance, sessions: SessionService): void {
  app.post('/wechat/login', async (request, reply) => {
    const body = loginBody.safeParse(request.body ?? {});
    if (!body.success) return replyError(reply, badRequest(body.error.issues));
    try {
      const session = await sessions.login(body.data.code);
      const data: Record<string, unknown> = { openid: session.openid };
      if (session.unionid) data.unionid = session.unionid;
      data.session_id = session.sessionId;
      return { code: 0, message: seedText.loginOk, data };
    } catch (error) {
      return replyError(reply, error);
    }
  });
}
