import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AppError, type ErrorReason } from '../../protocol/error-catalogue.js';
import { replyError } from './reply-error.js';

/**
 * Makes every HTTP error speak the wire envelope `{code, message, data: {reason}}` with a
 * catalogue reason and a Chinese message, instead of Fastify's own English JSON: unknown
 * routes (404), bodies that are not JSON (415), malformed or oversized bodies (400/413).
 * Plugins with their own handlers (the admin API) keep them.
 */
export function registerHttpErrors(app: FastifyInstance, logger: Logger): void {
  // Fastify parses text/plain by default; our endpoints take JSON only, so any other type is 415.
  app.removeContentTypeParser('text/plain');
  app.setNotFoundHandler((_request, reply) => replyError(reply, new AppError('not_found')));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) return replyError(reply, error);
    const reason = reasonFor(error);
    if (reason === 'internal_error') logger.error({ error: String(error) }, 'unhandled route error');
    // Fastify's own text is English and names internals: log it, answer the catalogue's Chinese
    else request.log.debug({ code: error.code, error: error.message }, 'request refused');
    return replyError(reply, new AppError(reason));
  });
}

function reasonFor(error: FastifyError): ErrorReason {
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'bad_json';
  if (error.statusCode === 413) return 'body_too_large';
  if (error.statusCode === 415) return 'unsupported_media_type';
  if (error.statusCode === 404) return 'not_found';
  if (error.statusCode && error.statusCode < 500) return 'bad_message';
  return 'internal_error';
}
