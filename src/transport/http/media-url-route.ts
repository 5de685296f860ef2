import type { FastifyInstance } from 'fastify';
import type { UploadStore } from '../../media/upload-store.js';
import { AppError } from '../../protocol/error-catalogue.js';
import { replyError } from './reply-error.js';

export interface MediaUrlRouteOptions {
  uploads: UploadStore;
  /** the openid a token was signed for `uploadId` (SpeechUrlSigner.verify with the media key) */
  verify(token: string, uploadId: string): { openid: string } | 'expired' | 'invalid';
}

/**
 * `GET /wechat/media/{upload_id}?t=<token>`: an image for WeChat's servers to fetch during
 * mediaCheckAsync (moderation/media-check.ts). No session: the HMAC token binds the upload id,
 * its owner and an expiry. Anything wrong — no token, a tampered or expired one, another
 * upload's, a deleted or expired upload — is the same 404, so the URL tells a stranger nothing.
 * Request logs stay at warn: the URL carries the token.
 */
export function registerMediaUrlRoute(app: FastifyInstance, options: MediaUrlRouteOptions): void {
  app.get<{ Params: { uploadId: string }; Querystring: { t?: unknown } }>(
    '/wechat/media/:uploadId',
    { logLevel: 'warn', exposeHeadRoute: false },
    async (request, reply) => {
      try {
        const { uploadId } = request.params;
        const token = request.query.t;
        const verdict = typeof token === 'string' && uploadId.length <= 100 ? options.verify(token, uploadId) : 'invalid';
        if (typeof verdict === 'string') throw new AppError('upload_not_found');
        const upload = await options.uploads.get(verdict.openid, uploadId);
        if (!upload || upload.kind !== 'image') throw new AppError('upload_not_found');
        return reply
          .headers({ 'content-type': upload.mime, 'content-length': upload.bytes, 'cache-control': 'private, no-store', 'x-content-type-options': 'nosniff' })
          .send(options.uploads.open(upload));
      } catch (error) {
        return replyError(reply, error);
      }
    },
  );
}
