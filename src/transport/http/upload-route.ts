import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService } from '../../auth/session-service.js';
import type { UsageLimits } from '../../limits/usage-limits.js';
import { receiveUpload, tooLargeForAny, type ReceivedFile, type UploadLimits } from '../../media/receive-upload.js';
import { UploadError, type UploadErrorKind } from '../../media/upload-error.js';
import type { UploadWriter } from '../../media/upload-store.js';
import { noMetrics, type GatewayMetrics } from '../../observability/gateway-metrics.js';
import { AppError, type ErrorReason } from '../../protocol/error-catalogue.js';
import { toAppError } from '../../protocol/to-app-error.js';
import { replyError } from './reply-error.js';
import { resolveAsker } from './resolve-asker.js';

export interface UploadRouteOptions {
  sessions: SessionService;
  limits: UsageLimits;
  uploads: UploadWriter;
  uploadLimits: UploadLimits;
  metrics?: GatewayMetrics;
}

const REASONS: Record<UploadErrorKind, ErrorReason> = {
  too_large: 'upload_too_large',
  unsupported: 'unsupported_media_type',
  invalid: 'upload_invalid',
  storage_full: 'upload_storage_full',
};
const NOT_MULTIPART = '请以 multipart/form-data 上传文件（字段名 file，即 wx.uploadFile 的 name: "file"）';
/** room for the multipart boundaries, part headers and wx.uploadFile's formData fields */
const MULTIPART_OVERHEAD = 64 * 1024;

/**
 * `POST /wechat/upload` — a photo or a voice recording for a later `chat`, sent as
 * wx.uploadFile sends it: multipart/form-data with the file in field `file` (other form
 * fields are ignored) and `Authorization: Bearer <session_id>`. Answers
 * `{code: 0, message, data: {upload_id, kind, bytes, mime}}` (`seconds` too for audio).
 *
 * The session, the user's USER_UPLOADS_PER_MINUTE and USER_UPLOAD_BYTES_PER_DAY are checked before the body is read; the
 * file is streamed to a temp file (receive-upload.ts) and stored only when everything about
 * it is fine. A refusal drains what the client still sends, so it reads the answer instead
 * of a reset connection.
 *
 * A Fastify plugin: registered encapsulated, so the multipart parser exists for this route
 * only and every other route still refuses multipart bodies with 415.
 */
export async function uploadRoute(app: FastifyInstance, options: UploadRouteOptions): Promise<void> {
  const { uploads, uploadLimits } = options;
  const metrics = options.metrics ?? noMetrics;
  const maxFileBytes = Math.max(uploadLimits.maxImageBytes, uploadLimits.maxAudioBytes);
  await app.register(multipart, {
    limits: { fileSize: maxFileBytes + 1, files: 2, fields: 20, fieldSize: 8 * 1024, fieldNameSize: 100, parts: 24, headerPairs: 20 },
    // a part named `file` is the file even without a filename, so it is streamed, never buffered as a form field
    isPartAFile: (name, _type, filename) => filename !== undefined || name === 'file',
  });
  // any body that is neither multipart nor JSON (raw image/png, text…) gets the upload's own 415
  app.addContentTypeParser('*', (_request, _payload, done) => done(new AppError('unsupported_media_type', NOT_MULTIPART), undefined));

  const refuse = (request: FastifyRequest, reply: FastifyReply, error: unknown) => {
    const appError = error instanceof UploadError ? new AppError(REASONS[error.kind], error.message) : toAppError(error);
    metrics.uploadRefused(appError.reason);
    if (appError.reason === 'internal_error' || appError.reason === 'upload_storage_full') {
      request.log.error({ error: String(error) }, 'upload failed');
    } else {
      request.log.debug({ reason: appError.reason }, 'upload refused');
    }
    // whatever of the body nobody reads is read and dropped (bounded by HTTP_REQUEST_TIMEOUT_MS)
    if (!request.raw.readableEnded) request.raw.resume();
    return replyError(reply, appError);
  };

  app.post('/wechat/upload', async (request, reply) => {
    if (!request.isMultipart()) return refuse(request, reply, new AppError('unsupported_media_type', NOT_MULTIPART));
    let openid: string;
    try {
      // Bearer only: the seed's bare openid is no proof of who uploads
      ({ openid } = await resolveAsker(request, {}, options.sessions, false));
      await options.limits.admitUpload(openid);
    } catch (error) {
      return refuse(request, reply, error);
    }
    const declared = Number(request.headers['content-length']);
    if (declared > maxFileBytes + MULTIPART_OVERHEAD) {
      // no use reading what is already known to be too large
      reply.header('connection', 'close');
      return refuse(request, reply, tooLargeForAny(uploadLimits));
    }

    let received: ReceivedFile | undefined;
    let tempFile: string | undefined;
    let failure: unknown;
    try {
      for await (const part of request.parts()) {
        if (part.type !== 'file') continue; // wx.uploadFile's formData fields
        if (tempFile !== undefined || part.fieldname !== 'file') {
          part.file.resume();
          failure ??= new UploadError('invalid', tempFile !== undefined ? '一次只能上传一个文件' : '缺少文件字段 file');
          continue;
        }
        tempFile = uploads.tempFile();
        try {
          received = await receiveUpload(part.file, tempFile, uploadLimits);
        } catch (error) {
          failure ??= asUploadError(error);
          part.file.resume(); // let the parser reach the end of the body
        }
      }
    } catch (error) {
      // malformed multipart, too many parts, a client that hung up mid-file
      failure ??= asUploadError(error);
    }
    if (failure !== undefined || !received) {
      if (tempFile) await uploads.discard(tempFile);
      return refuse(request, reply, failure ?? new UploadError('invalid', '缺少文件字段 file'));
    }
    try {
      const stored = await uploads.save(tempFile!, { openid, kind: received.type.kind, mime: received.type.mime, bytes: received.bytes });
      metrics.uploadStored(stored.kind, stored.bytes);
      await options.limits.recordUpload(openid, stored.bytes);
      const seconds = received.seconds === undefined ? {} : { seconds: Math.round(received.seconds * 10) / 10 };
      return { code: 0, message: '上传成功', data: { upload_id: stored.id, kind: stored.kind, bytes: stored.bytes, mime: stored.mime, ...seconds } };
    } catch (error) {
      await uploads.discard(tempFile!);
      return refuse(request, reply, error);
    }
  });
}

/** The multipart parser's complaints about the client's body become a 400; anything else stays what it is. */
function asUploadError(error: unknown): unknown {
  if (error instanceof UploadError) return error;
  const status = (error as { statusCode?: number } | undefined)?.statusCode;
  // busboy's own words for a body that ends early or is not multipart
  const client = status !== undefined ? status < 500 : error instanceof Error && /unexpected end|terminated early|malformed|boundary|aborted|premature/i.test(error.message);
  return client ? new UploadError('invalid', '上传的内容格式有误或不完整，请重新上传', { cause: error }) : error;
}

