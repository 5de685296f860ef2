import { redact } from '../llm/map-llm-failure.js';
import { TranscribeError } from './transcribe-error.js';
import type { AudioFile, Transcriber } from './transcriber.js';

export interface OpenAiTranscriberOptions {
  /** e.g. https://api.siliconflow.cn/v1 — `/audio/transcriptions` is appended */
  baseURL: string;
  /** sent only as the Bearer header; redacted from every error */
  apiKey?: string | undefined;
  model: string;
  /** the whole request (upload + recognition), ms */
  timeoutMs: number;
  /** ISO-639-1 hint, e.g. "zh"; absent = the service detects it */
  language?: string | undefined;
  fetch?: typeof fetch;
}

/**
 * `POST {baseURL}/audio/transcriptions`, multipart `file` + `model` (+ `language`), JSON
 * `{ text }` back — OpenAI's shape, which SenseVoice/Whisper/Paraformer gateways share. No
 * retries: a recording is a few seconds of the user's waiting time, and one slow attempt
 * already used the budget.
 */
export class OpenAiCompatibleTranscriber implements Transcriber {
  readonly name: string;
  readonly #url: string;

  constructor(private readonly options: OpenAiTranscriberOptions) {
    this.name = `openai-compatible:${options.model}`;
    this.#url = `${options.baseURL.replace(/\/+$/, '')}/audio/transcriptions`;
  }

  async transcribe(file: AudioFile, signal: AbortSignal): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(file.data)], { type: file.mime }), file.filename);
    form.append('model', this.options.model);
    form.append('response_format', 'json');
    if (this.options.language) form.append('language', this.options.language);
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'wechat-ai-gateway' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let response: Response;
    let body: string;
    try {
      response = await (this.options.fetch ?? fetch)(this.#url, { method: 'POST', body: form, headers, signal: AbortSignal.any([signal, deadline]) });
      body = await response.text();
    } catch (error) {
      if (deadline.aborted) throw new TranscribeError('timeout', `transcription took longer than ${this.options.timeoutMs} ms`);
      if (signal.aborted) throw new TranscribeError('failed', 'transcription aborted');
      const cause = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error);
      throw new TranscribeError('failed', `cannot reach the transcription service: ${this.#clean(cause)}`);
    }
    if (!response.ok) throw new TranscribeError('failed', `transcription service answered HTTP ${response.status}: ${this.#clean(body)}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new TranscribeError('garbage', `transcription service sent no JSON: ${this.#clean(body)}`);
    }
    const text = (parsed as { text?: unknown } | null)?.text;
    if (typeof text !== 'string') throw new TranscribeError('garbage', `transcription response has no text: ${this.#clean(body)}`);
    return text.trim();
  }

  #clean(text: string): string {
    return redact(text, this.options.apiKey).slice(0, 200);
  }
}
