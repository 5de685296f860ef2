import type { UserLimitStatus } from '../limits/usage-limits.js';
import type { RequestId } from './client-messages.js';
import type { AppError, ErrorReason } from './error-catalogue.js';

/**
 * Every frame the server sends, as a discriminated union on `type`. All share the seed's
 * envelope `{type, code, message, data}`, plus `request_id` when the client sent one. Types
 * are snake_case nouns (seed vocabulary). Transport never spells a frame name: it builds
 * frames with the constructors below, so the union is the whole wire vocabulary.
 *
 * Key order is part of the contract (the seed documents e.g. `openid, unionid, session_id`):
 * constructors build objects in the documented order.
 */
export type ServerFrame = { [T in keyof FrameData]: Frame<T, FrameData[T]> }[keyof FrameData];

export type ServerFrameType = ServerFrame['type'];

export interface Frame<T extends string, D> {
  type: T;
  code: number;
  message: string;
  data: D;
  request_id?: RequestId;
}

/** `data` of every frame type. */
export interface FrameData {
  connected: null;
  login_response: LoginData | ErrorData;
  /** null for seed clients; `{id}` once the client uses an extension (stream or request_id) */
  chat_processing: { id: string } | null;
  chat_delta: DeltaData;
  chat_progress: ProgressData;
  /** content security withdrew the streamed answer: replace what was shown with `message` */
  chat_retract: RetractData;
  /** a failed answer carries `reason` first, then the answer fields */
  chat_response: AnswerData | (ErrorData & AnswerData);
  pong: null;
  history_response: { messages: HistoryEntry[] };
  clear_response: null;
  cancel_response: { id: string | null; cancelled: boolean };
  error: ErrorData;
  /** a voice question's text, before its answer streams (`id` = the answer id) */
  chat_transcript: TranscriptData;
}

export interface ErrorData {
  reason: ErrorReason;
  /** 429 only: seconds until the limit that refused resets */
  retry_after?: number;
}

export interface LoginData {
  openid: string;
  /** only when the mini-program is bound to an Open Platform account */
  unionid?: string;
  session_id: string;
  /** the user's limits and what is left (extension; absent while the limiter is unavailable) */
  limits?: LimitsData;
  /** re-login while an answer is in flight: its id and the next delta index */
  pending_answer?: { id: string; next_index: number };
}

/** A limit of 0 is off, and its `*_left` is null. Tokens reset at 00:00 Asia/Shanghai. */
export interface LimitsData {
  chats_per_minute: number;
  chats_left: number | null;
  tokens_per_day: number;
  tokens_left: number | null;
}

export interface DeltaData {
  id: string;
  /** 0, 1, 2… per answer */
  index: number;
  delta: string;
}

export interface ProgressData {
  id: string;
  stage: 'searching';
  query: string;
}

export interface TranscriptData {
  id: string;
  text: string;
}

/** An upload a question refers to (`POST /wechat/upload`'s upload_id). */
export interface WireAttachment {
  kind: 'image' | 'audio';
  upload_id: string;
}

export interface RetractData {
  id: string;
  /** the safe notice to show instead (also the final `chat_response.data.msg`) */
  message: string;
}

export interface WireSource {
  title: string;
  source: string;
  snippet: string;
  score: number;
}

export interface WireUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** 'blocked': a question content security stopped; 'retracted': an answer it withdrew */
export type WireStatus = 'complete' | 'cancelled' | 'failed' | 'blocked' | 'retracted';

export interface AnswerData {
  msg: string;
  id: string;
  /** null for the seed's bare-openid HTTP callers */
  session_id: string | null;
  /** only when the answer quoted the knowledge base */
  sources?: WireSource[];
  /** extension fields: clients that use stream or request_id */
  status?: WireStatus;
  usage?: WireUsage | null;
  /** HTTP without `stream` only: a voice question's transcript (WebSocket and event streams get `chat_transcript`) */
  transcript?: string;
}

export interface HistoryEntry {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  status: WireStatus;
  /** epoch milliseconds */
  created_at: number;
  sources?: WireSource[];
  /** questions with images, or asked by voice */
  attachments?: WireAttachment[];
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

function frame<T extends ServerFrameType>(
  type: T,
  code: number,
  message: string,
  data: FrameData[T],
  requestId: RequestId | undefined,
): Frame<T, FrameData[T]> {
  const out: Frame<T, FrameData[T]> = { type, code, message, data };
  if (requestId !== undefined) out.request_id = requestId;
  return out;
}

/** The HTTP body of a frame: the same envelope without `type` (seed HTTP endpoints). */
export function httpBody<F extends ServerFrame>(f: F): Omit<F, 'type'> {
  const { type: _type, ...body } = f;
  return body;
}

/**
 * `login_response.data`, built in one place for WebSocket and HTTP: `unionid` only when
 * WeChat returned one, between openid and session_id as the seed shows it; `limits` after
 * the seed's fields.
 */
export function loginData(
  session: { openid: string; unionid?: string | undefined; sessionId: string },
  limits?: UserLimitStatus,
): LoginData {
  return {
    openid: session.openid,
    ...(session.unionid ? { unionid: session.unionid } : {}),
    session_id: session.sessionId,
    ...(limits && {
      limits: {
        chats_per_minute: limits.chatsPerMinute,
        chats_left: limits.chatsLeft,
        tokens_per_day: limits.tokensPerDay,
        tokens_left: limits.tokensLeft,
      },
    }),
  };
}

/** `data` of every error frame: the reason, and for a 429 the seconds to wait. */
function errorData(error: AppError): ErrorData {
  return error.retryAfterSeconds === undefined ? { reason: error.reason } : { reason: error.reason, retry_after: error.retryAfterSeconds };
}

export const connectedFrame = () => frame('connected', 0, seedText.connected, null, undefined);

export const pongFrame = (rid?: RequestId) => frame('pong', 0, seedText.pong, null, rid);

export const loginResponseFrame = (data: LoginData, rid?: RequestId) =>
  frame('login_response', 0, seedText.loginOk, data, rid);

export const processingFrame = (data: { id: string } | null, rid?: RequestId) =>
  frame('chat_processing', 0, seedText.processing, data, rid);

export const deltaFrame = (data: DeltaData, rid?: RequestId) => frame('chat_delta', 0, '', data, rid);

export const progressFrame = (data: ProgressData, rid?: RequestId) =>
  frame('chat_progress', 0, data.stage === 'searching' ? '正在检索知识库...' : '', data, rid);

export const transcriptFrame = (data: TranscriptData, rid?: RequestId) => frame('chat_transcript', 0, '语音识别完成', data, rid);

export const retractFrame = (data: RetractData, rid?: RequestId) => frame('chat_retract', 0, data.message, data, rid);

export const chatResponseFrame = (data: AnswerData, rid?: RequestId) =>
  frame('chat_response', 0, seedText.chatOk, data, rid);

export const historyResponseFrame = (messages: HistoryEntry[], rid?: RequestId) =>
  frame('history_response', 0, '成功', { messages }, rid);

export const clearResponseFrame = (rid?: RequestId) => frame('clear_response', 0, '已开始新的对话', null, rid);

export const cancelResponseFrame = (id: string | null, cancelled: boolean, rid?: RequestId) =>
  frame('cancel_response', 0, cancelled ? '已停止' : '没有进行中的回答', { id, cancelled }, rid);

/** An `error` frame: a request that failed before it could start. */
export const errorFrame = (error: AppError, rid?: RequestId) =>
  frame('error', error.code, error.message, errorData(error), rid);

/** A failed login answers with its own type, so a client waiting for `login_response` sees it. */
export const loginErrorFrame = (error: AppError, rid?: RequestId) =>
  frame('login_response', error.code, error.message, errorData(error), rid);

/** A failed answer still ends with `chat_response` (the client's spinner always stops). */
export const chatErrorFrame = (error: AppError, answer: AnswerData, rid?: RequestId) =>
  frame('chat_response', error.code, error.message, { ...errorData(error), ...answer }, rid);
