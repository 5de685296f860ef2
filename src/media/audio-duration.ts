import { readFile } from 'node:fs/promises';
import type { MediaFormat } from './detect-media-type.js';

/**
 * How long a received audio file plays, read from the file on disk (audio is at most
 * UPLOAD_MAX_AUDIO_BYTES, a few MB):
 * - AMR and SILK (WeChat's recorder formats, which music-metadata does not read): their
 *   20 ms frames are counted, a frame cut short meaning the file is truncated;
 * - WAV, MP3, AAC (ADTS) and M4A: music-metadata (headers, Xing/VBRI, or a frame scan for
 *   plain CBR MP3 and ADTS), imported only when the first such file arrives.
 *
 * `seconds` undefined with a `problem`: the file cannot be read as what its magic bytes said
 * (truncated or corrupt: `invalid`), or is an ISO file with video (`unsupported`).
 */
export interface AudioProbe {
  seconds?: number;
  /** why the file is refused, with a Chinese message */
  problem?: { kind: 'invalid' | 'unsupported'; message: string };
}

const CORRUPT = { kind: 'invalid', message: '语音文件已损坏或不完整，请重新录制' } as const;
const FRAME_SECONDS = 0.02;
/** AMR-NB frame payload sizes by mode (the byte after each frame's header is not counted here); 15 = no data */
const AMR_NB_PAYLOAD = [12, 13, 15, 17, 19, 20, 26, 31, 5, -1, -1, -1, -1, -1, -1, 0];

export async function probeAudioDuration(file: string, format: MediaFormat, needsAudioCheck = false): Promise<AudioProbe> {
  if (format === 'amr') return countFrames(await readFile(file), amrFrames);
  if (format === 'silk') return countFrames(await readFile(file), silkFrames);
  try {
    const { parseFile } = await import('music-metadata');
    const { format: info } = await parseFile(file, { duration: true, skipCovers: true });
    if (needsAudioCheck && (info.hasVideo || info.hasAudio === false)) return { problem: { kind: 'unsupported', message: '不支持视频文件，请上传语音' } };
    if (info.duration === undefined || !Number.isFinite(info.duration) || info.duration <= 0) return { problem: CORRUPT };
    return { seconds: info.duration };
  } catch {
    return { problem: CORRUPT };
  }
}

function countFrames(data: Buffer, frames: (data: Buffer) => number | undefined): AudioProbe {
  const count = frames(data);
  return count === undefined || count === 0 ? { problem: CORRUPT } : { seconds: count * FRAME_SECONDS };
}

/** Frames of an AMR-NB file ("#!AMR\n" + frames of one header byte and a payload sized by mode); undefined when malformed. */
export function amrFrames(data: Buffer): number | undefined {
  let at = 6;
  let frames = 0;
  while (at < data.length) {
    const payload = AMR_NB_PAYLOAD[(data[at]! >> 3) & 0xf]!;
    if (payload < 0) return undefined;
    at += 1 + payload;
    if (at > data.length) return undefined; // last frame cut short
    frames++;
  }
  return frames;
}

/**
 * Frames of a SILK v3 file: "#!SILK_V3" (WeChat puts a 0x02 byte first), then frames of a
 * little-endian uint16 length and that many bytes; an optional 0xFFFF length ends the file.
 */
export function silkFrames(data: Buffer): number | undefined {
  let at = data[0] === 0x02 ? 10 : 9;
  let frames = 0;
  while (at + 2 <= data.length) {
    const length = data.readUInt16LE(at);
    if (length === 0xffff) return frames;
    at += 2 + length;
    if (at > data.length) return undefined;
    frames++;
  }
  return at === data.length ? frames : undefined;
}
