/**
 * Response bodies of the fake OpenAI-compatible server: chat chunks shaped like OpenAI's
 * (so the real `openai` SDK parses them) and deterministic embeddings.
 */
import { createHash } from 'node:crypto';

export interface FakeMessage {
  role: string;
  content?: unknown;
  tool_calls?: unknown;
  tool_call_id?: string;
}

/** What the fake received, as JSON. Chat requests have `messages`, embeddings have `input`. */
export interface FakeRequestBody {
  model?: string;
  messages?: FakeMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: unknown[];
  max_tokens?: number;
  input?: string | string[];
  dimensions?: number;
  encoding_format?: string;
  [key: string]: unknown;
}

export type FakeChatBody = FakeRequestBody & { messages: FakeMessage[] };

export interface FakeToolCall {
  name: string;
  /** object → JSON.stringify'd; string → sent verbatim (lets tests send broken JSON) */
  arguments: string | Record<string, unknown>;
}

/** A text answer, or tool calls (finish_reason "tool_calls"). */
export type FakeReply = string | { toolCalls: FakeToolCall[] };
export type FakeReplyFn = (body: FakeChatBody) => FakeReply;

const textOf = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content.map((p: { text?: unknown }) => (typeof p?.text === 'string' ? p.text : '')).join('')
      : '';

export const lastUserText = (body: FakeChatBody): string =>
  textOf(body.messages.filter((m) => m.role === 'user').at(-1)?.content);

/** The system prompt of a follow-up suggestion request carries this (src/chat/suggestions/suggestion-prompt.ts). */
export const SUGGESTION_MARKER = '【追问建议】';

export const isSuggestionRequest = (body: FakeRequestBody): boolean =>
  (body.messages ?? []).some((m) => m.role === 'system' && textOf(m.content).includes(SUGGESTION_MARKER));

/** What the fake answers a suggestion request by default: a JSON array, as the prompt asks. */
export const FAKE_SUGGESTIONS = ['还有哪些注意事项？', '这个需要多长时间？', '有没有更简单的办法？'];

export const defaultReply: FakeReplyFn = (body) =>
  isSuggestionRequest(body) ? JSON.stringify(FAKE_SUGGESTIONS) : `收到：${lastUserText(body)}`;

/** Crude but deterministic token count: one per code point. */
export const countTokens = (text: string): number => Array.from(text).length;

export const promptTokens = (body: FakeChatBody): number =>
  body.messages.reduce((n, m) => n + countTokens(textOf(m.content)), 0);

export const splitDeltas = (text: string, size: number): string[] => {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
};

/** Stable call id per (request, tool index), like OpenAI's `call_…`. */
export const toolCallId = (seq: number, index: number): string =>
  `call_${createHash('sha256').update(`${seq}:${index}`).digest('hex').slice(0, 24)}`;

export const argsText = (call: FakeToolCall): string =>
  typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);

/** Builds `chat.completion.chunk` objects sharing one id, as OpenAI does. */
export function chunkFactory(seq: number, model: string, includeUsage: boolean) {
  const base = { id: `chatcmpl-fake${seq}`, object: 'chat.completion.chunk', created: 1_700_000_000, model };
  // With include_usage OpenAI sends `usage: null` on every chunk and the totals in a last one.
  const usageField = includeUsage ? { usage: null } : {};
  return {
    choice: (delta: Record<string, unknown>, finishReason: string | null = null) => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...usageField,
    }),
    usage: (prompt: number, completion: number) => ({
      ...base,
      choices: [],
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    }),
  };
}

/** Non-stream `chat.completion` body. */
export function completionBody(seq: number, model: string, reply: FakeReply, prompt: number) {
  const tools = typeof reply === 'string' ? undefined : reply.toolCalls;
  const content = typeof reply === 'string' ? reply : null;
  const completion = tools ? tools.reduce((n, c) => n + countTokens(argsText(c)), 0) : countTokens(content ?? '');
  return {
    id: `chatcmpl-fake${seq}`,
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          refusal: null,
          ...(tools && {
            tool_calls: tools.map((c, i) => ({
              id: toolCallId(seq, i),
              type: 'function',
              function: { name: c.name, arguments: argsText(c) },
            })),
          }),
        },
        logprobs: null,
        finish_reason: tools ? 'tool_calls' : 'stop',
      },
    ],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  };
}

const fnv1a = (s: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
};

/**
 * Deterministic embedding: hashed character bigrams (signed feature hashing), L2-normalised.
 * Texts sharing bigrams score a higher cosine, which is enough for retrieval tests.
 */
export function fakeEmbedding(text: string, dimensions = 64): number[] {
  const v = new Array<number>(dimensions).fill(0);
  const chars = Array.from(text.toLowerCase());
  const grams = chars.length < 2 ? chars : chars.slice(1).map((c, i) => chars[i] + c);
  for (const g of grams) {
    const h = fnv1a(g);
    v[h % dimensions]! += h & 0x8000_0000 ? -1 : 1;
  }
  const norm = Math.hypot(...v);
  return norm === 0 ? v : v.map((x) => x / norm);
}

/** OpenAI's base64 encoding: little-endian float32 bytes (the SDK asks for it by default). */
export const toBase64Floats = (v: number[]): string => Buffer.from(new Float32Array(v).buffer).toString('base64');
