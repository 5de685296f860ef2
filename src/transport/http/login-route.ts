import type { FastifyInstance } from 'fastify';
import type { SessionService } from '../../auth/session-service.js';
import type { UsageLimits } from '../../limits/usage-limits.js';
import type { GatewayMetrics } from '../../observability/gateway-metrics.js';
import { httpLoginBody } from '../../protocol/client-messages.js';
import { httpBody, loginData, loginResponseFrame } from '../../protocol/server-frame.js';
import { validate } from '../../protocol/validate.js';
import { logIn } from '../log-in.js';
import { replyError } from './reply-error.js';

/**
 * `POST /wechat/login` (seed, deprecated in favour of the WebSocket). Returns the seed's
 * {openid, unionid} plus `session_id`, which authenticates `POST /wechat/chat`, and the
 * user's `limits`. Each call counts against the client IP's IP_LOGINS_PER_MINUTE.
 */
export function registerLoginRoute(app: FastifyInstance, sessions: SessionService, limits: UsageLimits, metrics?: GatewayMetrics): void {
  app.post('/wechat/login', async (request, reply) => {
    const body = validate(httpLoginBody, request.body ?? {}, 'body');
    if (!body.ok) return replyError(reply, body.error);
    try {
      const { session, limits: left } = await logIn({ sessions, limits, metrics }, request.ip, { code: body.data.code });
      return httpBody(loginResponseFrame(loginData(session, left)));
    } catch (error) {
      return replyError(reply, error);
    }
  });
}
