import { decode as decodeSilk, getDuration as silkDurationMs } from 'silk-wasm';
import { amrFrames } from './audio-duration.js';
import { ffmpegToWav } from './ffmpeg.js';
import { TranscribeError } from './transcribe-error.js';
import type { AudioFile } from './transcriber.js';

export interface AudioConversion {
  /**
   * MIME types the provider cannot take, converted to WAV with ffmpeg (ASR_CONVERT_FORMATS).
   * Silk is always decoded here (silk-wasm, no ffmpeg needed): no public ASR service takes it.
   */
  convert: ReadonlySet<string>;
  /** the ffmpeg binary when it was found at start; undefined = formats in `convert` are refused */
  ffmpeg: string | undefined;
}

/** "#!SILK_V3", with or without the 0x02 byte WeChat puts first. */
const isSilk = (data: Buffer): boolean => data.subarray(0, 10).includes('#!SILK_V3');

/** WeChat's silk recordings decode at this rate (RecorderManager records speech at 16 kHz). */
const SILK_RATE = 16_000;

const EXTENSIONS: Record<string, string> = {
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/aac': 'aac',
  'audio/mp4': 'm4a',
  'audio/x-m4a': 'm4a',
  'audio/m4a': 'm4a',
  'audio/amr': 'amr',
  'audio/ogg': 'ogg',
  'audio/webm': 'webm',
  'audio/flac': 'flac',
  'audio/silk': 'silk',
};

/**
 * An uploaded recording as the ASR provider can take it: silk → PCM (silk-wasm) → WAV; a MIME
 * type in `convert` (default AMR) → WAV through ffmpeg; anything else unchanged. Throws
 * `TranscribeError('unsupported_format')` when a conversion is needed and impossible.
 */
export async function audioForProvider(data: Buffer, mime: string, conversion: AudioConversion, signal: AbortSignal): Promise<AudioFile> {
  if (mime === 'audio/silk' || isSilk(data)) {
    try {
      const pcm = await decodeSilk(data, SILK_RATE);
      return { data: wavFromPcm(Buffer.from(pcm.data), SILK_RATE), mime: 'audio/wav', filename: 'voice.wav' };
    } catch (error) {
      throw new TranscribeError('unsupported_format', `silk recording could not be decoded: ${String(error)}`);
    }
  }
  if (conversion.convert.has(mime)) {
    if (!conversion.ffmpeg) throw new TranscribeError('unsupported_format', `${mime} needs ffmpeg, which was not found at start`);
    try {
      return { data: await ffmpegToWav(conversion.ffmpeg, data, signal), mime: 'audio/wav', filename: 'voice.wav' };
    } catch (error) {
      throw new TranscribeError('unsupported_format', String(error));
    }
  }
  return { data, mime, filename: `voice.${EXTENSIONS[mime] ?? 'bin'}` };
}

/**
 * A recording's length in whole seconds (at least 1), for the daily ASR quota: WAV from its
 * header, silk and AMR by counting their 20 ms frames, MP3/AAC/M4A through music-metadata;
 * anything it cannot read is estimated from its size at 48 kbps (the RecorderManager's default
 * mp3/aac `encodeBitRate`), so a lower bitrate is counted longer than it is, never shorter.
 */
export async function audioSeconds(data: Buffer, mime: string): Promise<number> {
  const whole = (seconds: number) => Math.max(1, Math.ceil(seconds));
  if (mime === 'audio/silk' || isSilk(data)) return whole(silkDurationMs(data) / 1000);
  const wav = wavSeconds(data);
  if (wav !== undefined) return whole(wav);
  if (mime === 'audio/amr') return whole((amrFrames(data) ?? 0) * 0.02);
  try {
    const { parseBuffer } = await import('music-metadata');
    const { format } = await parseBuffer(data, { mimeType: mime, size: data.length }, { duration: true, skipCovers: true });
    if (format.duration !== undefined && Number.isFinite(format.duration) && format.duration > 0) return whole(format.duration);
  } catch {
    // not readable as what it claims: estimated below
  }
  return whole(data.length / (48_000 / 8));
}

/** Seconds of a PCM WAV from its fmt and data chunks; undefined when `data` is no WAV. */
function wavSeconds(data: Buffer): number | undefined {
  if (data.length < 44 || data.toString('latin1', 0, 4) !== 'RIFF' || data.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let byteRate = 0;
  for (let offset = 12; offset + 8 <= data.length; ) {
    const id = data.toString('latin1', offset, offset + 4);
    const size = data.readUInt32LE(offset + 4);
    if (id === 'fmt ' && offset + 16 <= data.length) byteRate = data.readUInt32LE(offset + 8 + 8);
    // streamed WAVs (ffmpeg to a pipe) write 0xFFFFFFFF as the data size: the rest of the file is data
    if (id === 'data') return byteRate > 0 ? Math.min(size, data.length - offset - 8) / byteRate : undefined;
    offset += 8 + size + (size % 2);
  }
  return undefined;
}

/** 16-bit mono PCM → a WAV file around it. */
export function wavFromPcm(pcm: Buffer, sampleRate: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}
