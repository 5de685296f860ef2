import type { FastifyRequest } from 'fastify';
import type { SessionService } from '../../auth/session-service.js';
import type { Asker } from '../../chat/chat-service.js';
import { AppError } from '../../protocol/error-catalogue.js';

export interface HttpAsker extends Asker {
  sessionId: string | null;
}

/**
 * Who is calling `POST /wechat/chat`: `Authorization: Bearer <session_id>` or `session_id`
 * in the body. The seed's bare `openid` is trusted only outside production — in production
 * anyone could claim anyone's openid, so it gets 401.
 */
export async function resolveAsker(
  request: FastifyRequest,
  body: { session_id?: string; openid?: string },
  sessions: SessionService,
  trustBareOpenid: boolean,
): Promise<HttpAsker> {
  const header = request.headers.authorization;
  const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  const sessionId = bearer || body.session_id;
  if (sessionId) {
    const session = await sessions.authenticate(sessionId);
    return { openid: session.openid, ownerKey: session.sessionId, sessionId: session.sessionId };
  }
  if (body.openid) {
    if (!trustBareOpenid) throw new AppError('openid_not_trusted');
    return { openid: body.openid, ownerKey: `openid:${body.openid}`, sessionId: null };
  }
  throw new AppError('not_logged_in');
}
