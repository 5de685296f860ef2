import type { Logger } from 'pino';
import { questionIdOf } from '../chat/question-id.js';
import type { StoredMessage } from '../store/history-store.js';
import type { MediaCheckStore, MediaVerdict } from './media-check-store.js';

/** Signs the URL WeChat fetches an image from (SpeechUrlSigner with a key of its own). */
export interface MediaUrlSigner {
  sign(uploadId: string, openid: string): { token: string; expiresAt: number };
}

/** What a `wxa_media_check` push says, already read by the push route. */
export interface MediaVerdictPush {
  traceId: string;
  suggest: MediaVerdict;
  /** WeChat's label number (e.g. 20002 色情), as text */
  label: string;
}

export interface MediaCheckDeps {
  store: MediaCheckStore;
  /** submits one image URL to WeChat; resolves with its trace_id */
  submit: (mediaUrl: string, openid: string) => Promise<string>;
  signer: MediaUrlSigner;
  /** deletes an upload for good (file and record) */
  deleteUpload: (uploadId: string) => Promise<void>;
  /** PUBLIC_BASE_URL, without a trailing slash */
  publicBaseUrl: string;
  logger: Logger;
}

/**
 * Images of photo questions through WeChat's asynchronous check (docs/media.md §内容安全):
 * - `imagesAsked`: each upload is submitted once (the first question that carries it), with a
 *   signed, expiring URL to `GET /wechat/media/{upload_id}` WeChat's servers fetch it from. The
 *   answer is not held back: the verdict arrives minutes later, if at all.
 * - `verdict`: a `risky` push deletes the upload (file and record, so no model ever gets it
 *   again) and flags the question and its answer; `review` and `pass` are recorded only. A
 *   replayed push changes nothing.
 * - `withFlags`: history read back with those flags, so later prompts drop the turn (build-prompt.ts)
 *   and history readers see it flagged.
 */
export class MediaCheck {
  constructor(private readonly deps: MediaCheckDeps) {}

  /** Submits the images of the question answered by `answerId`; never throws (failures are logged). */
  async imagesAsked(openid: string, answerId: string, uploadIds: readonly string[]): Promise<void> {
    const { store, submit, signer, publicBaseUrl, logger } = this.deps;
    for (const uploadId of new Set(uploadIds)) {
      try {
        if (!(await store.claim(uploadId))) continue;
        const { token } = signer.sign(uploadId, openid);
        const mediaUrl = `${publicBaseUrl}/wechat/media/${encodeURIComponent(uploadId)}?t=${token}`;
        const traceId = await submit(mediaUrl, openid);
        await store.put({ traceId, uploadId, openid, answerId, submittedAt: Date.now() });
        // never the URL: its token fetches the image
        logger.info({ uploadId, answerId, traceId }, 'image submitted to WeChat media check');
      } catch (error) {
        logger.warn({ uploadId, answerId, error: String(error) }, 'image could not be submitted to WeChat media check: it stays unchecked');
      }
    }
  }

  /** Applies a push; 'unknown' for a trace_id this gateway never submitted, 'replayed' for one already settled. */
  async verdict(push: MediaVerdictPush): Promise<'unknown' | 'replayed' | 'recorded'> {
    const { store, deleteUpload, logger } = this.deps;
    const record = await store.find(push.traceId);
    if (!record) return 'unknown';
    const label = `image:${push.label}`;
    if (!(await store.settle(push.traceId, push.suggest, label))) return 'replayed';
    const fields = { traceId: push.traceId, uploadId: record.uploadId, answerId: record.answerId, suggest: push.suggest, label };
    if (push.suggest === 'risky') {
      await deleteUpload(record.uploadId);
      await store.flag(record.openid, [questionIdOf(record.answerId), record.answerId], label);
      logger.warn(fields, 'WeChat found an image risky: upload deleted, question and answer flagged');
    } else {
      logger.info(fields, 'WeChat media check verdict');
    }
    return 'recorded';
  }

  /** `messages` with the flags risky images put on them (the store's own flags win). */
  async withFlags<M extends StoredMessage>(openid: string, messages: M[]): Promise<M[]> {
    if (messages.length === 0) return messages;
    const flags = await this.deps.store.flagsOf(openid, messages.map((m) => m.id));
    if (flags.size === 0) return messages;
    return messages.map((m) => (m.flagged || !flags.has(m.id) ? m : { ...m, flagged: { label: flags.get(m.id)! } }));
  }

  close(): Promise<void> {
    return this.deps.store.close();
  }
}
