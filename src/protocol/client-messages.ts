import { z } from 'zod';

/**
 * Messages a client sends, one zod schema per `type`. Unknown extra fields are ignored, so
 * newer clients stay compatible with older servers. Every message may carry `request_id`,
 * echoed on every reply to it.
 */

const requestId = z
  .union([z.string().max(128), z.number()], { error: 'request_id 应为字符串（最多 128 个字符）或数字' })
  .optional();

/** from wx.login(); single-use, valid 5 minutes */
const wechatCode = z.string().min(1).max(512);

const base = { request_id: requestId };

export const loginMessage = z
  .looseObject({
    ...base,
    type: z.literal('login'),
    code: wechatCode.optional(),
    /** resumes an earlier login without a new wx.login() */
    session_id: z.string().min(1).max(256).optional(),
  })
  .refine((m) => m.code !== undefined || m.session_id !== undefined, {
    message: 'login 需要 code 或 session_id',
    path: ['code'],
  });

/** an upload_id from `POST /wechat/upload` */
const uploadId = z.string().min(1).max(128);

const chatFields = z.looseObject({
  ...base,
  type: z.literal('chat'),
  /** required, except for a voice question (`audio`) */
  query: z.string({ error: 'query 必须是字符串' }).optional(),
  use_auto_rag: z.boolean().optional().default(false),
  /** opt in to chat_delta frames (WebSocket) or to an event stream (HTTP) */
  stream: z.boolean().optional().default(false),
  /** photo question: image uploads (MAX_IMAGES_PER_CHAT is checked by the chat; 16 bounds the message) */
  images: z.array(uploadId).max(16).optional(),
  /** voice question: an audio upload, transcribed into the question (instead of `query`) */
  audio: uploadId.optional(),
});

/** `query` is what the seed's clients always send; only a voice question may leave it out. */
const queryOrAudio = (m: { query?: string | undefined; audio?: string | undefined }, ctx: z.RefinementCtx) => {
  if (m.audio === undefined && m.query === undefined) ctx.addIssue({ code: 'custom', path: ['query'], message: 'query 必须是字符串' });
  if (m.audio !== undefined && m.query !== undefined && m.query.trim() !== '') {
    ctx.addIssue({ code: 'custom', path: ['audio'], message: 'audio（语音提问）与 query 只能二选一' });
  }
};

export const chatMessage = chatFields.superRefine(queryOrAudio);

/**
 * `POST /wechat/chat`'s body: the WebSocket `chat` message without the envelope, plus who
 * asks (`session_id`, or the seed's bare `openid`, trusted only outside production).
 * `request_id` makes a retry idempotent (the same answer, one model call); it is not echoed.
 */
export const httpChatBody = chatFields
  .omit({ type: true })
  .extend({
    openid: z.string().min(1).max(128).optional(),
    session_id: z.string().min(1).max(256).optional(),
  })
  .superRefine(queryOrAudio);

/** `POST /wechat/login`'s body (seed). */
export const httpLoginBody = z.looseObject({ code: wechatCode });

export const pingMessage = z.looseObject({ ...base, type: z.literal('ping') });

export const historyMessage = z.looseObject({
  ...base,
  type: z.literal('history'),
  /** most recent messages to return */
  limit: z.number().int().min(1).max(200).optional(),
});

export const clearMessage = z.looseObject({ ...base, type: z.literal('clear') });

export const cancelMessage = z.looseObject({
  ...base,
  type: z.literal('cancel'),
  /** the answer id from chat_processing; absent = whatever answer is in flight */
  id: z.string().max(128).optional(),
});

export const resumeMessage = z.looseObject({
  ...base,
  type: z.literal('resume'),
  /** the answer id (chat_processing / chat_delta / login_response.pending_answer) */
  id: z.string().min(1).max(128),
  /** first chat_delta index the client has not received */
  from_index: z.number().int().min(0).optional().default(0),
});

export const clientMessageSchemas = {
  login: loginMessage,
  chat: chatMessage,
  ping: pingMessage,
  history: historyMessage,
  clear: clearMessage,
  cancel: cancelMessage,
  resume: resumeMessage,
} as const;

export type ClientMessageType = keyof typeof clientMessageSchemas;
export type ClientMessage = {
  [K in ClientMessageType]: z.infer<(typeof clientMessageSchemas)[K]>;
}[ClientMessageType];
export type LoginMessage = z.infer<typeof loginMessage>;
export type ChatMessageIn = z.infer<typeof chatMessage>;
export type RequestId = z.infer<typeof requestId>;
