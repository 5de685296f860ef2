import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../protocol/error-catalogue.js';
import { replyError } from './reply-error.js';

/**
 * An onRequest hook that lets through only `Authorization: Bearer <token>`, compared in
 * constant time; anything else gets 401 `admin_unauthorized` (an operator's token either way).
 * Digests have equal length whatever was sent, so timingSafeEqual never throws and the
 * comparison time does not reveal the token's length either.
 *
 * @example
 * app.addHook('onRequest', bearerGuard(config.adminToken, 'admin'));
 */
export function bearerGuard(token: string, realm: string) {
  const expected = createHash('sha256').update(token).digest();
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    const given = createHash('sha256').update(match?.[1] ?? '').digest();
    if (match && timingSafeEqual(given, expected)) return undefined;
    reply.header('www-authenticate', `Bearer realm="${realm}"`);
    return replyError(reply, new AppError('admin_unauthorized'));
  };
}
