import { AppError, errorCatalogue } from './error-catalogue.js';
import type { RequestId } from './client-messages.js';

/**
 * Every frame the server sends has the seed's envelope: `{type, code, message, data}`, plus
 * `request_id` when the client sent one. Types are snake_case nouns (seed vocabulary).
 */
export interface ServerFrame<D = unknown> {
  type: string;
  code: number;
  message: string;
  data: D;
  request_id?: RequestId;
}

export function frame<D>(type: string, message: string, data: D, requestId?: RequestId): ServerFrame<D> {
  const out: ServerFrame<D> = { type, code: 0, message, data };
  if (requestId !== undefined) out.request_id = requestId;
  return out;
}

/** An error frame of `type` (`error` by default, or e.g. `login_response`). */
export function errorFrame(
  error: AppError,
  requestId?: RequestId,
  type = 'error',
  extra?: Record<string, unknown>,
): ServerFrame<{ reason: string } & Record<string, unknown>> {
  const out: ServerFrame<{ reason: string } & Record<string, unknown>> = {
    type,
    code: error.code,
    message: error.message,
    data: { reason: error.reason, ...extra },
  };
  if (requestId !== undefined) out.request_id = requestId;
  return out;
}

/** The seed's exact texts for the frames it documents. */
export const seedText = {
  connected: '连接成功',
  loginOk: '登录成功',
  processing: '正在处理中...',
  chatOk: '成功',
  pong: 'pong',
  healthOk: '服务正常',
} as const;

export { errorCatalogue };
