import type { FastifyReply } from 'fastify';
import { errorFrame, httpBody } from '../../protocol/server-frame.js';
import { toAppError } from '../../protocol/to-app-error.js';

/** Sends any error the same way on every HTTP route: catalogue status + the wire envelope. */
export function replyError(reply: FastifyReply, error: unknown): FastifyReply {
  const appError = toAppError(error);
  if (appError.retryAfterSeconds !== undefined) reply.header('retry-after', String(appError.retryAfterSeconds));
  return reply.code(appError.status).send(httpBody(errorFrame(appError)));
}
