/**
 * The text-to-speech port: one piece of text in, its audio out as it arrives. The speech
 * service splits an answer into pieces and calls `synthesize` once per piece, in order.
 */
export interface SpeechSynthesizer {
  /** what the cache key and the logs name: a change of model or voice is a different recording */
  readonly model: string;
  readonly voice: string;
  /** container of the bytes yielded; only 'mp3' (frames concatenate into one playable stream) */
  readonly format: 'mp3';
  /**
   * The audio of `text`, chunk by chunk as the provider sends it. Throws (or fails the
   * iteration with) a TtsError: before the first chunk for a refused request, timeout or a body
   * that is not audio; later for a connection cut mid-body or a stall.
   *
   * @example
   * for await (const bytes of tts.synthesize('你好。', signal)) response.write(bytes);
   */
  synthesize(text: string, signal?: AbortSignal): AsyncIterable<Buffer>;
}

/** The Content-Type each format is served with. */
export const AUDIO_CONTENT_TYPE = { mp3: 'audio/mpeg' } as const;
