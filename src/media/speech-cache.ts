import type { Readable } from 'node:stream';

/**
 * Finished recordings of answers, so a second play costs no second synthesis. Keyed by
 * `speechCacheKey` (answer + model + voice + format): an answer never changes once stored.
 * Only complete recordings are saved; a synthesis that failed half-way leaves nothing.
 */
export interface SpeechCache {
  /** The recording, or undefined when there is none (or it expired). */
  find(key: string): Promise<CachedSpeech | undefined>;
  /** Stores a complete recording, atomically: a reader sees all of it or nothing. */
  save(key: string, audio: Buffer): Promise<void>;
  close(): Promise<void>;
}

export interface CachedSpeech {
  bytes: number;
  /** the bytes `start…end` (inclusive; default: all), for Range requests */
  open(range?: { start: number; end: number }): Readable;
}
