import type { UploadKind } from './upload-store.js';

/**
 * What an uploaded file is, decided from its first bytes — never from its name or the
 * Content-Type the client sent (both are the client's word; a text file named x.png or an
 * HTML page sent as image/png must not become an "image" a model or a player is handed).
 */
export interface MediaType {
  kind: UploadKind;
  mime: string;
  /** short name used in messages and metrics: png, jpeg, webp, gif, mp3, aac, m4a, wav, amr, silk */
  format: MediaFormat;
}

export type MediaFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'mp3' | 'aac' | 'm4a' | 'wav' | 'amr' | 'silk';

/** Bytes the detector needs at most (the receiver buffers this many before deciding). */
export const SNIFF_BYTES = 64;
/** Bytes of a file's end kept for the completeness check (PNG's IEND chunk is 12). */
export const TAIL_BYTES = 16;

/** For the 415 message: what is accepted, as a person reads it. */
export const ACCEPTED_FORMATS = '图片（PNG、JPEG、WebP、GIF）或语音（MP3、AAC、M4A、WAV、AMR、SILK）';

const ascii = (head: Buffer, at: number, text: string) => head.length >= at + text.length && head.toString('latin1', at, at + text.length) === text;

/** ISO base media brands a phone's audio recording carries; `M4A `/`M4B ` say audio outright. */
const AUDIO_BRANDS = new Set(['M4A ', 'M4B ']);
const ISO_BRANDS = new Set(['isom', 'iso2', 'mp41', 'mp42', '3gp4', '3gp5', '3gp6', 'MSNV', 'dash']);

/**
 * The media type of a file starting with `head` (give it SNIFF_BYTES, or the whole file when
 * shorter); undefined for anything not accepted.
 *
 * A generic ISO file (brand isom, mp42 …) is reported as m4a with `needsAudioCheck`: it may be
 * a video, which the duration probe tells apart.
 *
 * @example
 * detectMediaType(readFileSync('x.png').subarray(0, SNIFF_BYTES)) // { kind: 'image', mime: 'image/png', format: 'png' }
 */
export function detectMediaType(head: Buffer): (MediaType & { needsAudioCheck?: boolean }) | undefined {
  if (head.length >= 8 && head.readUInt32BE(0) === 0x89504e47 && head.readUInt32BE(4) === 0x0d0a1a0a) return image('png');
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return image('jpeg');
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) return image('gif');
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return image('webp');
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) return audio('wav', 'audio/wav');
  // AMR-NB only: WeChat's recorder and most phones write narrowband; AMR-WB would need its own frame table
  if (ascii(head, 0, '#!AMR\n')) return audio('amr', 'audio/amr');
  // WeChat's silk files start with a 0x02 byte before the standard "#!SILK_V3" header
  if (ascii(head, 0, '#!SILK_V3') || (head[0] === 0x02 && ascii(head, 1, '#!SILK_V3'))) return audio('silk', 'audio/silk');
  if (ascii(head, 4, 'ftyp')) {
    const brand = head.toString('latin1', 8, 12);
    if (AUDIO_BRANDS.has(brand)) return audio('m4a', 'audio/mp4');
    if (ISO_BRANDS.has(brand)) return { ...audio('m4a', 'audio/mp4'), needsAudioCheck: true };
    return undefined;
  }
  if (ascii(head, 0, 'ID3')) return audio('mp3', 'audio/mpeg');
  if (head.length >= 4 && head[0] === 0xff && (head[1]! & 0xe0) === 0xe0) {
    const layer = (head[1]! >> 1) & 3;
    // ADTS: MPEG sync with layer bits 00 and a valid sampling index
    if (layer === 0 && (head[1]! & 0xf6) === 0xf0 && ((head[2]! >> 2) & 0xf) < 13) return audio('aac', 'audio/aac');
    if (layer !== 0 && isMpegAudioHeader(head)) return audio('mp3', 'audio/mpeg');
  }
  return undefined;
}

/** An MPEG audio frame header: a version, bitrate and sample rate that exist (not the reserved values). */
function isMpegAudioHeader(head: Buffer): boolean {
  const version = (head[1]! >> 3) & 3;
  const bitrate = (head[2]! >> 4) & 0xf;
  const sampleRate = (head[2]! >> 2) & 3;
  return version !== 1 && bitrate !== 0 && bitrate !== 0xf && sampleRate !== 3;
}

const image = (format: MediaFormat): MediaType => ({ kind: 'image', mime: `image/${format}`, format });
const audio = (format: MediaFormat, mime: string): MediaType => ({ kind: 'audio', mime, format });

/**
 * Cheap completeness check from what the receiver kept (the head, the last TAIL_BYTES and the
 * size): a Chinese reason when the file is obviously cut short, else undefined. Only formats
 * that say how they end or how long they are can be checked this way: PNG (IEND), GIF
 * (trailer), WebP/WAV (RIFF size). JPEG is not: phones append data after its end marker, so a
 * missing one proves nothing; audio is checked when its duration is read.
 */
export function truncationProblem(type: MediaType, head: Buffer, tail: Buffer, bytes: number): string | undefined {
  const cut = '文件不完整（可能上传中断），请重新上传';
  switch (type.format) {
    case 'png': {
      // signature + IHDR chunk (25 bytes) + IEND chunk (12 bytes) at the very least
      if (bytes < 45 || tail.length < 8 || !ascii(head, 12, 'IHDR')) return cut;
      const iend = tail.subarray(tail.length - 8);
      return iend.toString('latin1', 0, 4) === 'IEND' && iend.readUInt32BE(4) === 0xae426082 ? undefined : cut;
    }
    case 'gif':
      return bytes >= 14 && tail[tail.length - 1] === 0x3b ? undefined : cut;
    case 'webp':
      return bytes >= 20 && head.readUInt32LE(4) + 8 <= bytes ? undefined : cut;
    case 'wav': {
      if (bytes < 44) return cut;
      const declared = head.readUInt32LE(4);
      // 0 and 0xFFFFFFFF: written by recorders that stream and never patch the header; the data still plays
      return declared === 0 || declared === 0xffffffff || declared + 8 <= bytes ? undefined : cut;
    }
    case 'jpeg':
      return bytes >= 107 ? undefined : cut;
    default:
      return undefined;
  }
}
