import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { MediaCheck } from '../../moderation/media-check.js';
import type { MediaVerdict } from '../../moderation/media-check-store.js';
import { verifyPushSignature } from '../../moderation/push-signature.js';
import { AppError } from '../../protocol/error-catalogue.js';
import { replyError } from './reply-error.js';

export interface WechatPushRouteOptions {
  /** WECHAT_PUSH_TOKEN */
  token: string;
  mediaCheck: MediaCheck;
  logger: Logger;
}

interface SignedQuery {
  signature?: unknown;
  timestamp?: unknown;
  nonce?: unknown;
  echostr?: unknown;
  encrypt_type?: unknown;
}

const VERDICTS = new Set<MediaVerdict>(['pass', 'review', 'risky']);
/** a push is a few hundred bytes; WeChat's own bound for pushes is far below this */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * WeChat's 消息推送 (the mini-program's "消息推送" URL = PUBLIC_BASE_URL/wechat/push), plain-text
 * mode with the JSON data format:
 * - `GET` is WeChat's URL check: `echostr` is echoed when the signature is right.
 * - `POST` carries events; only `wxa_media_check` (the image check verdict) is acted on, every
 *   other event is acknowledged and ignored. An unknown or replayed `trace_id` is acknowledged
 *   too ("success"): WeChat retries a push three times when it gets anything else.
 * A wrong signature gets 403 and nothing else. The 安全模式 (encrypted, `encrypt_type=aes`) and the
 * XML format are refused with 400 and a warning: configure 明文模式 + JSON (docs/media.md).
 * An encapsulated plugin: its body parser (any content type, as a string) is this route's only.
 */
export async function wechatPushRoute(app: FastifyInstance, options: WechatPushRouteOptions): Promise<void> {
  const { token, mediaCheck, logger } = options;
  const warned = new Set<string>();
  const warnOnce = (what: string, message: string) => {
    if (warned.has(what)) return;
    warned.add(what);
    logger.warn(message);
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_request, body, done) => done(null, body));

  app.get<{ Querystring: SignedQuery }>('/wechat/push', async (request, reply) => {
    if (!verifyPushSignature(token, request.query)) return replyError(reply, new AppError('push_forbidden'));
    const { echostr } = request.query;
    if (typeof echostr !== 'string' || echostr.length > 200) return replyError(reply, new AppError('push_unsupported'));
    return reply.type('text/plain').send(echostr);
  });

  app.post<{ Querystring: SignedQuery; Body: string | undefined }>('/wechat/push', async (request, reply) => {
    try {
      if (!verifyPushSignature(token, request.query)) {
        logger.warn('WeChat push refused: bad signature');
        throw new AppError('push_forbidden');
      }
      if (request.query.encrypt_type !== undefined && request.query.encrypt_type !== 'raw') {
        warnOnce('aes', 'WeChat push in 安全模式 (encrypted) is not supported: set 消息推送 to 明文模式 with the JSON format');
        throw new AppError('push_unsupported');
      }
      const event = parseJsonObject(request.body);
      if (!event) {
        warnOnce('format', 'WeChat push that is not a JSON object (XML?): set the 消息推送 data format to JSON');
        throw new AppError('push_unsupported');
      }
      if (event.Event === 'wxa_media_check') {
        const push = readMediaCheck(event);
        if (!push) throw new AppError('push_unsupported');
        await mediaCheck.verdict(push);
      }
      return reply.type('text/plain').send('success');
    } catch (error) {
      return replyError(reply, error);
    }
  });
}

function parseJsonObject(body: string | undefined): Record<string, unknown> | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `{trace_id, result: {suggest, label}}` of a wxa_media_check event; undefined when malformed. */
function readMediaCheck(event: Record<string, unknown>): { traceId: string; suggest: MediaVerdict; label: string } | undefined {
  const { trace_id: traceId, result } = event;
  if (typeof traceId !== 'string' || traceId === '' || traceId.length > 200) return undefined;
  const { suggest, label } = (typeof result === 'object' && result !== null ? result : {}) as { suggest?: unknown; label?: unknown };
  if (typeof suggest !== 'string' || !VERDICTS.has(suggest as MediaVerdict)) return undefined;
  const text = typeof label === 'number' || typeof label === 'string' ? String(label).slice(0, 40) : '';
  return { traceId, suggest: suggest as MediaVerdict, label: text };
}
