import type { Logger } from 'pino';
import type { ImageContentPart } from '../llm/chat-model.js';
import type { AudioConversion } from '../media/audio-for-provider.js';
import type { ImageLimits, PreparedImage } from '../media/prepare-image.js';
import { TranscribeError } from '../media/transcribe-error.js';
import type { Transcriber } from '../media/transcriber.js';
import type { StoredUpload, UploadStore } from '../media/upload-store.js';
import { AppError } from '../protocol/error-catalogue.js';
import type { StoredAttachment, StoredMessage } from '../store/history-store.js';
import type { PromptTurn } from './build-prompt.js';

export interface ChatMediaOptions {
  /** MAX_IMAGES_PER_CHAT */
  maxImages: number;
  /** VISION_MAX_IMAGE_BYTES / VISION_MAX_IMAGE_SIDE */
  imageLimits: ImageLimits;
  /** false in offline mode: nothing can look at an image */
  visionAvailable: boolean;
  conversion: AudioConversion;
}

export interface ChatMediaDeps {
  /** absent = uploads are not available: every upload id is unknown */
  uploads: UploadStore | undefined;
  /** absent = no ASR_BASE_URL */
  transcriber: Transcriber | undefined;
  options: ChatMediaOptions;
  /** transcriptions (length, duration, time taken — never the text) and their failures; absent = not logged */
  logger?: Logger;
}

export interface Transcript {
  text: string;
  /** the recording's length, for the daily quota */
  seconds: number;
  attachment: StoredAttachment;
}

/** A question without text but with images asks this (stored as the question, shown in history). */
export const IMAGE_ONLY_QUESTION = '请看图片';
/** Written into the prompt in place of images that are no longer sent or no longer exist. */
const OLDER_IMAGES_NOTE = (n: number) => `\n[此前这个问题附有 ${n} 张图片，图片不再随对话发送]`;
const EXPIRED_IMAGES_NOTE = (n: number) => `\n[这个问题附有 ${n} 张图片，图片已过期，无法再查看]`;
/** Prepared images kept for follow-up questions (each at most VISION_MAX_IMAGE_BYTES). */
const CACHE_SIZE = 8;

/**
 * Photos and recordings in a question: checks that each upload id is the asker's own upload of
 * the right kind (else `upload_not_found`, nothing stored), transcribes voice questions, and
 * puts images back into prompts.
 *
 * Which images a prompt carries: those of the **most recent question with images in the history
 * window** (HISTORY_TURNS), at most MAX_IMAGES_PER_CHAT — so "它是什么颜色？" after a photo
 * still sees the photo, while a long conversation does not re-send every picture it ever had
 * (cost and latency grow with each image). Older image questions get a one-line note instead,
 * and an image that expired from the upload store is dropped with a note, never an error.
 */
export class ChatMedia {
  private readonly cache = new Map<string, PreparedImage>();
  private readonly imageWatchers: Array<(openid: string, answerId: string, uploadIds: string[]) => void> = [];

  constructor(private readonly deps: ChatMediaDeps) {}

  /** The images of a new question as attachments; they are decoded (and sized) now, so a broken one fails before anything is stored. */
  async checkImages(openid: string, uploadIds: readonly string[]): Promise<StoredAttachment[]> {
    const unique = [...new Set(uploadIds)];
    if (unique.length === 0) return [];
    const { maxImages, visionAvailable } = this.deps.options;
    if (unique.length > maxImages) throw new AppError('too_many_images', `一次最多发送 ${maxImages} 张图片`);
    if (!visionAvailable) throw new AppError('vision_not_configured');
    const uploads = await Promise.all(unique.map((id) => this.upload(openid, id, 'image')));
    for (const upload of uploads) {
      if (!(await this.image(upload))) throw new AppError('image_invalid');
    }
    return unique.map((uploadId) => ({ kind: 'image', uploadId }));
  }

  /** Calls `watcher` for every question with images once it is stored (image content security hooks here). */
  watchImages(watcher: (openid: string, answerId: string, uploadIds: string[]) => void): void {
    this.imageWatchers.push(watcher);
  }

  /** The question answered by `answerId` was stored with these attachments: tells the watchers about its images. */
  asked(openid: string, answerId: string, attachments: readonly StoredAttachment[]): void {
    const ids = attachments.filter((a) => a.kind === 'image').map((a) => a.uploadId);
    if (ids.length > 0) for (const watcher of this.imageWatchers) watcher(openid, answerId, ids);
  }

  /** A voice question's text (never stored here). Throws AppError / TranscribeError. */
  async transcribe(openid: string, uploadId: string, signal: AbortSignal): Promise<Transcript> {
    if (!this.deps.transcriber) throw new TranscribeError('not_configured', 'ASR_BASE_URL is not set');
    const upload = await this.upload(openid, uploadId, 'audio');
    // loaded on the first voice question: silk-wasm and music-metadata cost nothing until then
    const { audioForProvider, audioSeconds } = await import('../media/audio-for-provider.js');
    const bytes = await this.deps.uploads!.read(upload);
    const startedAt = Date.now();
    const log = this.deps.logger?.child({ uploadId, mime: upload.mime });
    try {
      const file = await audioForProvider(bytes, upload.mime, this.deps.options.conversion, signal);
      const text = await this.deps.transcriber.transcribe(file, signal);
      const seconds = await audioSeconds(bytes, upload.mime);
      log?.info({ seconds, chars: text.length, ms: Date.now() - startedAt, sentAs: file.mime }, 'voice question transcribed');
      return { text, seconds, attachment: { kind: 'audio', uploadId } };
    } catch (error) {
      log?.warn({ kind: TranscribeError.is(error) ? error.kind : 'unexpected', error: String(error), ms: Date.now() - startedAt }, 'transcription failed');
      throw error;
    }
  }

  /** The conversation with the images it should show the model (see the class comment). */
  async promptTurns(openid: string, turns: StoredMessage[]): Promise<PromptTurn[]> {
    const withImages = (turn: StoredMessage) => turn.role === 'user' && turn.status !== 'blocked' && imageIds(turn).length > 0;
    const latest = turns.findLast(withImages);
    if (!latest) return turns;
    const out: PromptTurn[] = [];
    for (const turn of turns) {
      const ids = imageIds(turn);
      if (turn !== latest || !withImages(turn)) {
        out.push(withImages(turn) ? { ...turn, note: OLDER_IMAGES_NOTE(ids.length) } : turn);
        continue;
      }
      const images: ImageContentPart[] = [];
      for (const id of ids.slice(0, this.deps.options.maxImages)) {
        const upload = await this.deps.uploads?.get(openid, id);
        const prepared = upload && (await this.image(upload));
        if (prepared) images.push({ type: 'image', mime: prepared.mime, base64: prepared.data.toString('base64') });
      }
      const missing = ids.length - images.length;
      out.push({ ...turn, images, ...(missing > 0 && { note: EXPIRED_IMAGES_NOTE(missing) }) });
    }
    return out;
  }

  private async upload(openid: string, id: string, kind: StoredUpload['kind']): Promise<StoredUpload> {
    const upload = await this.deps.uploads?.get(openid, id);
    // another user's id, an expired one, or an audio id in `images`: all the same to the client
    if (!upload || upload.kind !== kind) throw new AppError('upload_not_found');
    return upload;
  }

  /** The upload sized for the vision model (cached); undefined when its bytes are gone or no image. */
  private async image(upload: StoredUpload): Promise<PreparedImage | undefined> {
    const cached = this.cache.get(upload.id);
    if (cached) return cached;
    let prepared: PreparedImage;
    try {
      // sharp (libvips, tens of MB) is loaded on the first photo question, not at boot
      const { prepareImage } = await import('../media/prepare-image.js');
      prepared = await prepareImage(await this.deps.uploads!.read(upload), upload.mime, this.deps.options.imageLimits);
    } catch {
      return undefined;
    }
    this.cache.set(upload.id, prepared);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    return prepared;
  }
}

const imageIds = (turn: StoredMessage): string[] => (turn.attachments ?? []).filter((a) => a.kind === 'image').map((a) => a.uploadId);
