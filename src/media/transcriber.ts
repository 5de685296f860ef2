/**
 * The speech-to-text port: a recording in, its text out. The driver
 * (openai-compatible-transcriber.ts) speaks OpenAI's `POST /audio/transcriptions`, which
 * SiliconFlow (SenseVoice), Whisper servers and DashScope/Paraformer gateways all offer.
 */

/** A recording in a format the provider takes (audio-for-provider.ts converts the others). */
export interface AudioFile {
  data: Buffer;
  /** e.g. audio/mpeg, audio/wav */
  mime: string;
  /** sent as the multipart file name: some servers decide the format by its extension */
  filename: string;
}

export interface Transcriber {
  /** e.g. "openai-compatible:FunAudioLLM/SenseVoiceSmall" — for logs */
  readonly name: string;
  /**
   * The recording's text, trimmed (may be ''). Throws `TranscribeError` (timeout, failed,
   * garbage) — never a vendor error. Aborting `signal` stops the upload.
   */
  transcribe(file: AudioFile, signal: AbortSignal): Promise<string>;
}
