import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { probeAudioDuration } from './audio-duration.js';
import { ACCEPTED_FORMATS, detectMediaType, SNIFF_BYTES, TAIL_BYTES, truncationProblem, type MediaType } from './detect-media-type.js';
import { UploadError } from './upload-error.js';

/** UPLOAD_MAX_IMAGE_BYTES, UPLOAD_MAX_AUDIO_BYTES, UPLOAD_MAX_AUDIO_SECONDS */
export interface UploadLimits {
  maxImageBytes: number;
  maxAudioBytes: number;
  maxAudioSeconds: number;
}

export interface ReceivedFile {
  type: MediaType;
  bytes: number;
  /** audio only: how long it plays */
  seconds?: number;
}

/**
 * Streams one uploaded file into `tempFile`, counting bytes and keeping only its first
 * SNIFF_BYTES and last TAIL_BYTES in memory: the type is decided from the first bytes, the
 * byte limit of that kind applies as soon as it is known (before, the larger of the two), and
 * the file is checked for obvious truncation and, for audio, its duration. Throws UploadError
 * on any refusal — the caller then discards the temp file and drains what the client still
 * sends. A full disk (ENOSPC/EDQUOT) is UploadError('storage_full').
 *
 * @example
 * const received = await receiveUpload(part.file, store.tempFile(), limits);
 */
export async function receiveUpload(
  source: Readable,
  tempFile: string,
  limits: UploadLimits,
  /** tests hand in a stream that fails like a full disk */
  openTemp: (file: string) => Writable = (file) => createWriteStream(file, { flags: 'wx' }),
): Promise<ReceivedFile> {
  const out = openTemp(tempFile);
  // an error while no write is waiting must not crash the process: it is rethrown below
  out.on('error', () => {});
  let bytes = 0;
  let head = Buffer.alloc(0);
  let tail: Buffer = Buffer.alloc(0);
  let type: MediaType | undefined;
  try {
    // destroyOnReturn false: on a refusal the caller drains the rest of the part, so the
    // multipart parser reaches the end of the request and the client reads our answer
    for await (const chunk of source.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (!type) {
        head = Buffer.concat([head, chunk.subarray(0, SNIFF_BYTES - head.length)]);
        if (head.length >= SNIFF_BYTES) type = decide(head);
      }
      const limit = type ? maxBytes(type, limits) : Math.max(limits.maxImageBytes, limits.maxAudioBytes);
      if (bytes > limit) throw tooLarge(type, limits);
      tail = chunk.length >= TAIL_BYTES ? chunk.subarray(chunk.length - TAIL_BYTES) : Buffer.concat([tail, chunk]).subarray(-TAIL_BYTES);
      if (out.errored) throw out.errored;
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await finished(out);
  } catch (error) {
    // wait for the close: a refusal right at the start (a body cut mid-part) comes while the
    // file's open is still pending, and a caller that unlinked now would run before the open
    // creates it, leaving the temp file behind for good
    out.destroy();
    await finished(out).catch(() => {});
    throw diskFull(error) ?? error;
  }
  if (bytes === 0) throw new UploadError('invalid', '文件是空的，请重新选择');
  type ??= decide(head);
  if (bytes > maxBytes(type, limits)) throw tooLarge(type, limits);
  const problem = truncationProblem(type, head, Buffer.from(tail), bytes);
  if (problem) throw new UploadError('invalid', problem);
  if (type.kind !== 'audio') return { type, bytes };
  const probe = await probeAudioDuration(tempFile, type.format, 'needsAudioCheck' in type && Boolean(type.needsAudioCheck));
  if (probe.problem) throw new UploadError(probe.problem.kind, probe.problem.message);
  if (probe.seconds! > limits.maxAudioSeconds + 0.5) {
    throw new UploadError('too_large', `语音太长（${Math.round(probe.seconds!)} 秒），最长 ${limits.maxAudioSeconds} 秒`);
  }
  return { type, bytes, seconds: probe.seconds };
}

function decide(head: Buffer): MediaType {
  const type = detectMediaType(head);
  if (!type) throw new UploadError('unsupported', `不支持的文件类型，请上传${ACCEPTED_FORMATS}`);
  return type;
}

function maxBytes(type: MediaType, limits: UploadLimits): number {
  return type.kind === 'image' ? limits.maxImageBytes : limits.maxAudioBytes;
}

function tooLarge(type: MediaType | undefined, limits: UploadLimits): UploadError {
  if (type?.kind === 'image') return new UploadError('too_large', `图片太大，最大 ${mib(limits.maxImageBytes)}`);
  if (type?.kind === 'audio') return new UploadError('too_large', `语音文件太大，最大 ${mib(limits.maxAudioBytes)}`);
  return new UploadError('too_large', `文件太大：图片最大 ${mib(limits.maxImageBytes)}，语音最大 ${mib(limits.maxAudioBytes)}`);
}

/** The refusal for a body already declared (Content-Length) larger than any file may be. */
export function tooLargeForAny(limits: UploadLimits): UploadError {
  return tooLarge(undefined, limits);
}

/** 10 MB, 196 KB: a limit as the 413 message states it */
const mib = (bytes: number) => (bytes >= 1_048_576 ? `${+(bytes / 1_048_576).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`);

function diskFull(error: unknown): UploadError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return undefined;
  return new UploadError('storage_full', '服务器存储空间不足，暂时无法上传，请稍后再试', { cause: error });
}
