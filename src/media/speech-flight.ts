import { id3v2Length } from './tts/mp3-bytes.js';
import type { SpeechSynthesizer } from './tts/speech-synthesizer.js';

export interface FlightListener {
  data(bytes: Buffer): void;
  end(): void;
  error(error: unknown): void;
}

/**
 * One answer's synthesis in progress: the pieces' audio in order, kept so that whoever asks
 * for the same answer meanwhile gets it from the first byte (single-flight: one synthesis
 * however many plays start at once). `audio` resolves with the whole recording, or rejects.
 */
export class SpeechFlight {
  private readonly chunks: Buffer[] = [];
  private readonly listeners = new Set<FlightListener>();
  private ended: { error?: unknown } | undefined;
  readonly audio: Promise<Buffer>;

  constructor(run: (push: (bytes: Buffer) => void) => Promise<void>) {
    this.audio = run((bytes) => this.push(bytes)).then(
      () => {
        this.finish({});
        return Buffer.concat(this.chunks);
      },
      (error: unknown) => {
        this.finish({ error });
        throw error;
      },
    );
    // listeners hear of a failure; the rejection itself is handled by whoever awaits `audio`
    this.audio.catch(() => undefined);
  }

  /** Replays what arrived so far, then follows; returns the unsubscribe. */
  subscribe(listener: FlightListener): () => void {
    for (const chunk of this.chunks) listener.data(chunk);
    if (this.ended) {
      if ('error' in this.ended) listener.error(this.ended.error);
      else listener.end();
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private push(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    for (const listener of this.listeners) listener.data(bytes);
  }

  private finish(ended: { error?: unknown }): void {
    this.ended = ended;
    for (const listener of this.listeners) {
      if ('error' in ended) listener.error(ended.error);
      else listener.end();
    }
    this.listeners.clear();
  }
}

/**
 * Synthesizes `pieces` one after another into one MP3 stream. MP3 is a sequence of
 * self-contained frames, so the pieces' audio joined end to end plays as one file; each
 * piece's leading ID3 tag after the first is dropped (it would sit mid-stream).
 */
export async function synthesizePieces(
  tts: SpeechSynthesizer,
  pieces: readonly string[],
  push: (bytes: Buffer) => void,
  signal?: AbortSignal,
): Promise<void> {
  for (const [index, piece] of pieces.entries()) {
    let skip = -1; // bytes of ID3 tag still to drop; -1 = not known yet
    for await (const bytes of tts.synthesize(piece, signal)) {
      if (index === 0) {
        push(bytes);
        continue;
      }
      // the driver's first chunk is ≥ 10 bytes: enough to read the tag's length
      if (skip < 0) skip = id3v2Length(bytes);
      const dropped = Math.min(skip, bytes.length);
      skip -= dropped;
      push(bytes.subarray(dropped));
    }
  }
}
