/**
 * The model port: everything the chat service needs from a language model.
 *
 * One streaming method yielding a typed union of parts. Vendor shapes (OpenAI chunks,
 * SSE lines, HTTP statuses) never leave the driver: they are translated at the edge.
 * "No model configured" is no driver at all (`createChatModel` returns undefined): the chat
 * service then answers from the knowledge base alone.
 */

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text exactly as the model produced it (may be invalid JSON: callers validate). */
  arguments: string;
}

export interface ChatMessage {
  role: ChatRole;
  /** the text; with `parts`, the text part that goes first */
  content: string;
  /**
   * user messages only: images asked about, sent after `content` as OpenAI content parts
   * (`[{type:'text'}, {type:'image_url', image_url:{url:'data:…'}}]`). Absent = plain text, as
   * before. Drivers translate at their edge; a model that refuses images throws
   * `vision_unsupported`.
   */
  parts?: ContentPart[];
  /** assistant messages that asked for tools */
  toolCalls?: ToolCall[];
  /** tool messages: the call they answer */
  toolCallId?: string;
}

/** An image for a vision model: already sized for the provider (src/media/prepare-image.ts). */
export interface ImageContentPart {
  type: 'image';
  /** image/png, image/jpeg, image/webp */
  mime: string;
  /** the encoded image, base64 (no data: prefix) */
  base64: string;
}

/** Content parts beyond the text; images only, for now. */
export type ContentPart = ImageContentPart;

/** Whether any message carries images (the request then needs a vision model). */
export const hasImages = (messages: ChatMessage[]): boolean => messages.some((m) => (m.parts?.length ?? 0) > 0);

export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of the arguments object */
  parameters: Record<string, unknown>;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'other';

export type StreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-calls'; calls: ToolCall[] }
  | { type: 'finish'; reason: FinishReason; usage?: TokenUsage };

export interface ChatRequest {
  messages: ChatMessage[];
  /** Aborting it must stop the upstream HTTP request, not just stop reading it. */
  signal: AbortSignal;
  tools?: ToolDefinition[];
  /** Upper bound for the answer, in tokens; the driver's default when absent. */
  maxTokens?: number;
}

export interface ChatModel {
  /** e.g. "openai-compatible:deepseek-chat" — for logs, health and stored answers. */
  readonly name: string;
  /**
   * Streams one answer. Throws `LlmError` (never a vendor error) on failure, also when the
   * failure happens mid-stream; `tools_unsupported` when a request with `tools` was refused
   * for that reason only; `vision_unsupported` when a request with images was refused for that
   * reason only. Ends with exactly one `finish` part on success.
   */
  stream(request: ChatRequest): AsyncIterable<StreamPart>;
}
