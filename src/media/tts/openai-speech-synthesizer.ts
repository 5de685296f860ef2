import { looksLikeMp3 } from './mp3-bytes.js';
import type { SpeechSynthesizer } from './speech-synthesizer.js';
import { TtsError } from './tts-error.js';

export interface OpenAiSpeechOptions {
  /** e.g. https://api.openai.com/v1 — `/audio/speech` is appended */
  baseUrl: string;
  apiKey?: string | undefined;
  model: string;
  voice: string;
  /** the answer headers, then each next part of the body, must arrive within this, ms */
  timeoutMs: number;
  /** default: the global fetch */
  fetch?: typeof fetch;
}

/** Bodies that are certainly not audio, whatever the bytes. */
const NOT_AUDIO = /^(application\/(json|problem\+json|xml)|text\/)/i;

/**
 * OpenAI-compatible `POST {baseUrl}/audio/speech` (`{model, input, voice, response_format}` →
 * audio bytes): OpenAI TTS, and the gateways that expose CosyVoice, Edge-TTS, SiliconFlow or
 * Kokoro the same way. The body is passed on as it arrives; its first bytes must look like
 * MP3, so a gateway answering 200 with an error page fails here, not in the user's player.
 */
export class OpenAiSpeechSynthesizer implements SpeechSynthesizer {
  readonly model: string;
  readonly voice: string;
  readonly format = 'mp3' as const;
  private readonly url: string;

  constructor(private readonly options: OpenAiSpeechOptions) {
    this.model = options.model;
    this.voice = options.voice;
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/audio/speech`;
  }

  async *synthesize(text: string, signal?: AbortSignal): AsyncIterable<Buffer> {
    const { timeoutMs } = this.options;
    const stall = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    /** (re)starts the stall deadline: headers, then each next body part */
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => stall.abort(), timeoutMs);
      timer.unref();
    };
    const combined = signal ? AbortSignal.any([signal, stall.signal]) : stall.signal;
    const failure = (error: unknown): TtsError => {
      if (TtsError.is(error)) return error;
      if (signal?.aborted) return new TtsError('aborted', 'speech request aborted by the caller');
      if (stall.signal.aborted) return new TtsError('timeout', `speech provider sent nothing for ${timeoutMs} ms`);
      return new TtsError('upstream', `speech provider unreachable or cut the answer: ${String(error)}`, undefined, { cause: error });
    };
    arm();
    try {
      let response: Response;
      try {
        response = await (this.options.fetch ?? fetch)(this.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
          },
          body: JSON.stringify({ model: this.model, input: text, voice: this.voice, response_format: this.format }),
          signal: combined,
        });
      } catch (error) {
        throw failure(error);
      }
      if (!response.ok) {
        const detail = await response.text().then((t) => t.slice(0, 300), () => '');
        await response.body?.cancel().catch(() => undefined);
        const kind = response.status === 429 || response.status >= 500 ? 'upstream' : 'bad_request';
        throw new TtsError(kind, `speech provider answered ${response.status}: ${detail}`, response.status);
      }
      const type = response.headers.get('content-type') ?? '';
      if (NOT_AUDIO.test(type) || !response.body) {
        await response.body?.cancel().catch(() => undefined);
        throw new TtsError('bad_audio', `speech provider answered 200 with ${type || 'no body'}, not audio`);
      }
      yield* this.checkedBody(response.body, arm, failure);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The body's bytes, its first ones checked to be MP3, the stall timer re-armed on each part. */
  private async *checkedBody(body: ReadableStream<Uint8Array>, arm: () => void, failure: (e: unknown) => TtsError): AsyncIterable<Buffer> {
    let head = Buffer.alloc(0);
    let checked = false;
    const reader = body.getReader();
    try {
      for (;;) {
        let part: Awaited<ReturnType<typeof reader.read>>;
        try {
          part = await reader.read();
        } catch (error) {
          throw failure(error);
        }
        arm();
        if (part.done) break;
        const bytes = Buffer.from(part.value.buffer, part.value.byteOffset, part.value.byteLength);
        if (checked) {
          yield bytes;
          continue;
        }
        head = Buffer.concat([head, bytes]);
        if (head.length < 10) continue;
        if (!looksLikeMp3(head)) throw new TtsError('bad_audio', 'speech provider answered 200 with bytes that are not MP3');
        checked = true;
        yield head;
      }
      // fewer than 10 bytes in all: not even one MP3 frame header plus data
      if (!checked) throw new TtsError('bad_audio', `speech provider answered 200 with ${head.length === 0 ? 'an empty body' : `only ${head.length} bytes`}`);
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }
}
