import type { FastifyReply } from 'fastify';
import { AppError } from '../../protocol/error-catalogue.js';
import { errorFrame } from '../../protocol/server-messages.js';
import { toAppError } from '../../protocol/to-app-error.js';

/** Sends an AppError the same way on every HTTP route: catalogue status + the wire envelope. */
export function replyError(reply: FastifyReply, error: unknown): FastifyReply {
  const appError = toAppError(error);
  const { type: _type, ...body } = errorFrame(appError);
  return reply.code(appError.status).send(body);
}

/** zod issues → the 400 a client sees, naming the first bad field. */
export function badRequest(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): AppError {
  const issue = issues[0];
  const field = issue?.path.map(String).join('.') || 'body';
  return new AppError('bad_message', `字段 ${field} 无效：${issue?.message ?? ''}`);
}
