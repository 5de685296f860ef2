import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { bindLogger } from '../observability/bind-logger.js';
import type { UsageLimits } from '../limits/usage-limits.js';
import { AppError } from '../protocol/error-catalogue.js';
import type { StoredMessage } from '../store/history-store.js';
import { splitForSpeech } from './speech-chunks.js';
import type { CachedSpeech, SpeechCache } from './speech-cache.js';
import { SpeechFlight, synthesizePieces } from './speech-flight.js';
import { toSpeakableText } from './speech-text.js';
import type { SpeechSynthesizer } from './tts/speech-synthesizer.js';

export interface SpeechServiceDeps {
  tts: SpeechSynthesizer;
  cache: SpeechCache;
  /**
   * The user's stored answer by id, or undefined (unknown, another user's, not an answer).
   * The composition root passes HistoryStore.findMessage (any conversation, with content-security flags laid over).
   */
  findAnswer(openid: string, answerId: string): Promise<StoredMessage | undefined>;
  limits: UsageLimits;
  /** longest text sent in one provider request (TTS_MAX_CHARS_PER_REQUEST) */
  maxCharsPerRequest: number;
  /** syntheses at once in this process (TTS_MAX_CONCURRENCY): each holds a provider connection and its audio */
  maxConcurrency: number;
  logger: Logger;
}

export type Speech =
  /** a finished recording: serve it, with Range */
  | { kind: 'cached'; audio: CachedSpeech }
  /** being synthesized (by this request or one that started before): stream it as it arrives */
  | { kind: 'live'; flight: SpeechFlight };

/**
 * Spoken answers: an answer of the user → its speakable text (Markdown stripped) → sentence
 * pieces → the provider, piece by piece → the caller as it arrives, and into the cache once
 * complete. Concurrent plays of one answer in this process share one synthesis; a cached
 * replay costs no synthesis and no quota.
 */
export class SpeechService {
  private readonly flights = new Map<string, SpeechFlight>();

  constructor(private readonly deps: SpeechServiceDeps) {}

  /**
   * Checks that `answerId` is a complete answer of `openid` with something to say. Throws
   * AppError: `answer_not_found` (unknown or another user's: indistinguishable on purpose),
   * `speech_unavailable` (stopped, failed, withdrawn, or flagged by content security — e.g. a
   * photo WeChat later found risky), `speech_empty` (nothing speakable).
   */
  async prepare(openid: string, answerId: string): Promise<{ key: string; text: string }> {
    const answer = await this.deps.findAnswer(openid, answerId);
    if (!answer || answer.role !== 'assistant') throw new AppError('answer_not_found');
    if (answer.status !== 'complete' || answer.flagged) throw new AppError('speech_unavailable');
    const text = toSpeakableText(answer.content);
    if (text === '') throw new AppError('speech_empty');
    const { model, voice, format } = this.deps.tts;
    return { key: speechCacheKey(answerId, model, voice, format), text };
  }

  /** The answer's audio: cached, or being synthesized (started here when nobody has). */
  async play(openid: string, answerId: string): Promise<Speech> {
    const { key, text } = await this.prepare(openid, answerId);
    const inFlight = this.flights.get(key);
    if (inFlight) return { kind: 'live', flight: inFlight };
    const cached = await this.deps.cache.find(key);
    if (cached) return { kind: 'cached', audio: cached };
    // another play may have started while the cache was read
    const started = this.flights.get(key);
    if (started) return { kind: 'live', flight: started };
    if (this.flights.size >= this.deps.maxConcurrency) throw new AppError('tts_busy');
    return { kind: 'live', flight: this.start(openid, answerId, key, text) };
  }

  /** Flights still running (shutdown lets them finish into the cache or fail). */
  get activeCount(): number {
    return this.flights.size;
  }

  private start(openid: string, answerId: string, key: string, text: string): SpeechFlight {
    const { tts, limits, maxCharsPerRequest, logger } = this.deps;
    const chars = text.length;
    let charged = false;
    const log = bindLogger(logger, { answerId });
    const flight = new SpeechFlight(async (push) => {
      // in the flight, so concurrent plays see one refusal and quota is taken once
      await limits.admitSpeech(openid, chars);
      charged = true;
      const pieces = splitForSpeech(text, maxCharsPerRequest);
      log.debug({ chars, pieces: pieces.length, model: tts.model, voice: tts.voice }, 'synthesizing speech');
      await synthesizePieces(tts, pieces, push);
    });
    this.flights.set(key, flight);
    // the flight leaves the map only once its recording is saved (or it failed): a play in
    // between joins it instead of finding neither and synthesizing again
    void flight.audio
      .then((audio) => this.deps.cache.save(key, audio).catch((error: unknown) => log.warn({ error: String(error) }, 'speech not cached')))
      .catch((error: unknown) => {
        log.warn({ error: String(error) }, 'speech synthesis failed: nothing cached');
        // the user heard at most a part: the characters were not spent
        if (charged) limits.refundSpeech(openid, chars);
      })
      .finally(() => this.flights.delete(key));
    return flight;
  }
}

/** Cache key: one recording per answer, model, voice and format (hex, safe as a file name). */
export function speechCacheKey(answerId: string, model: string, voice: string, format: string): string {
  return createHash('sha256').update(JSON.stringify([answerId, model, voice, format])).digest('hex');
}
