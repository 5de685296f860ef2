import { AppError } from './error-catalogue.js';
import { clientMessageSchemas, type ClientMessage, type ClientMessageType, type RequestId } from './client-messages.js';
import { validate } from './validate.js';

export type ParseResult =
  | { ok: true; message: ClientMessage }
  | { ok: false; error: AppError; requestId?: RequestId };

/**
 * Text frame → validated message, or the error to send back (the connection stays open).
 * The request_id is recovered even from an invalid message so the error can echo it.
 */
export function parseClientMessage(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: new AppError('bad_json') };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: new AppError('bad_message', '消息必须是 JSON 对象') };
  }
  const record = value as Record<string, unknown>;
  const rid = record.request_id;
  const requestId = typeof rid === 'string' || typeof rid === 'number' ? rid : undefined;
  const type = record.type;
  if (typeof type !== 'string') {
    return { ok: false, error: new AppError('bad_message', '缺少 type 字段'), requestId };
  }
  if (!Object.hasOwn(clientMessageSchemas, type)) {
    return {
      ok: false,
      error: new AppError('unknown_type', `未知的消息类型：${type.slice(0, 64)}`),
      requestId,
    };
  }
  const parsed = validate(clientMessageSchemas[type as ClientMessageType], value, type);
  if (!parsed.ok) return { ok: false, error: parsed.error, requestId };
  return { ok: true, message: parsed.data as ClientMessage };
}
