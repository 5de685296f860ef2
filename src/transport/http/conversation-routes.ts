import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService } from '../../auth/session-service.js';
import type { ConversationService } from '../../chat/conversation-service.js';
import {
  httpConversationParams,
  httpConversationsQuery,
  httpFeedbackBody,
  httpHistoryQuery,
  httpIdentityQuery,
} from '../../protocol/client-messages.js';
import { AppError } from '../../protocol/error-catalogue.js';
import { httpBody, type ServerFrame } from '../../protocol/server-frame.js';
import { validate } from '../../protocol/validate.js';
import { conversationsReply, deleteConversationReply, feedbackReply, historyReply } from '../conversation-replies.js';
import { replyError } from './reply-error.js';
import { resolveAsker, type HttpAsker } from './resolve-asker.js';

export interface ConversationRoutesOptions {
  sessions: SessionService;
  conversations: ConversationService;
  /** `history` without `limit` */
  historyLimit: number;
  trustBareOpenid: boolean;
}

/**
 * The HTTP twins of the WebSocket's conversation requests, for clients still on the
 * deprecated HTTP API. Bodies are the frames' (`httpBody`: no `type`). Who asks: as
 * `POST /wechat/chat` (`Authorization: Bearer <session_id>`; the seed's bare `openid` outside
 * production — in the query for GET/DELETE, never a session_id there: URLs reach access logs).
 *
 * - `GET /wechat/conversations?limit=&before=`
 * - `GET /wechat/history?conversation_id=&limit=`
 * - `DELETE /wechat/conversations/:id`
 * - `POST /wechat/feedback` `{id, rating, comment?}`
 */
export async function conversationRoutes(app: FastifyInstance, options: ConversationRoutesOptions): Promise<void> {
  // wx.request sends `Content-Type: application/json` even with no data (a DELETE): in this
  // plugin's scope an empty JSON body is no body, not Fastify's 400
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' ? done(null, undefined) : json(request, String(body), done),
  );
  type Identity = { openid?: string | undefined; session_id?: string | undefined };

  /**
   * Validates, identifies the caller, then sends `reply`'s frame as the body (or the error).
   * Only the identity fields named here count: a loose query also carries unknown keys, and a
   * session_id is taken from a JSON body only (`sessionInBody`), never from a query string.
   */
  const route =
    <T extends Identity>(
      input: (request: FastifyRequest) => { ok: true; data: T } | { ok: false; error: AppError },
      reply: (who: HttpAsker, data: T) => Promise<ServerFrame>,
      sessionInBody = false,
    ) =>
    async (request: FastifyRequest, res: FastifyReply) => {
      const parsed = input(request);
      if (!parsed.ok) return replyError(res, parsed.error);
      try {
        const identity = { openid: parsed.data.openid, session_id: sessionInBody ? parsed.data.session_id : undefined };
        const who = await resolveAsker(request, identity, options.sessions, options.trustBareOpenid);
        return res.send(httpBody(await reply(who, parsed.data)));
      } catch (error) {
        return replyError(res, error);
      }
    };

  app.get(
    '/wechat/conversations',
    route(
      (request) => validate(httpConversationsQuery, request.query ?? {}, 'query'),
      (who, query) => conversationsReply(options.conversations, who.openid, query),
    ),
  );

  app.get(
    '/wechat/history',
    route(
      (request) => validate(httpHistoryQuery, request.query ?? {}, 'query'),
      (who, query) => historyReply(options.conversations, who.openid, { limit: query.limit ?? options.historyLimit, conversationId: query.conversation_id }),
    ),
  );

  app.delete(
    '/wechat/conversations/:id',
    route(
      (request) => {
        const params = validate(httpConversationParams, request.params, 'id');
        if (!params.ok) return params;
        const query = validate(httpIdentityQuery, request.query ?? {}, 'query');
        return query.ok ? { ok: true, data: { ...query.data, id: params.data.id } } : query;
      },
      (who, { id }) => deleteConversationReply(options.conversations, who, id),
    ),
  );

  app.post(
    '/wechat/feedback',
    route(
      (request) => validate(httpFeedbackBody, request.body ?? {}, 'body'),
      (who, body) => feedbackReply(options.conversations, who.openid, body),
      true,
    ),
  );
}
