import type { FastifyReply } from 'fastify';
import { AppError } from '../../protocol/error-catalogue.js';
import { errorFrame, httpBody } from '../../protocol/server-frame.js';

/** Sends an AppError the same way on every HTTP route: catalogue status + the wire envelope. */
export function replyError(reply: FastifyReply, error: unknown): FastifyReply {
  const appError = error instanceof AppError ? error : new AppError('internal_error', undefined, { cause: error });
  return reply.code(appError.status).send(httpBody(errorFrame(appError)));
}
