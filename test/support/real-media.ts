/**
 * Real recordings and pictures for the media tests, made with the Debian tools the README lists:
 * speech with espeak-ng, conversions with ffmpeg, pictures with ImageMagick. Nothing is checked in.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodeSilk } from 'silk-wasm';

function inTemp<T>(make: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'wag-media-'));
  try {
    return make(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Spoken Chinese as 16 kHz mono WAV (espeak-ng, then ffmpeg). */
export function speechWav(text: string): Buffer {
  return inTemp((dir) => {
    execFileSync('espeak-ng', ['-v', 'zh', '-w', join(dir, 'raw.wav'), text]);
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', join(dir, 'raw.wav'), '-ac', '1', '-ar', '16000', join(dir, 'q.wav')]);
    return readFileSync(join(dir, 'q.wav'));
  });
}

/** The same speech as MP3 (what RecorderManager records with format 'mp3'). */
export function speechMp3(text: string): Buffer {
  return inTemp((dir) => {
    execFileSync('espeak-ng', ['-v', 'zh', '-w', join(dir, 'raw.wav'), text]);
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', join(dir, 'raw.wav'), '-ac', '1', '-ar', '16000', '-b:a', '48k', join(dir, 'q.mp3')]);
    return readFileSync(join(dir, 'q.mp3'));
  });
}

/** The same speech as WeChat silk (0x02 "#!SILK_V3" …), encoded with silk-wasm. */
export async function speechSilk(text: string): Promise<Buffer> {
  return Buffer.from((await encodeSilk(speechWav(text), 0)).data);
}

/** An ImageMagick picture: `spec` is e.g. 'plasma:' or 'xc:red', format png/jpg/gif/webp. */
export function magickImage(width: number, height: number, format: 'png' | 'jpg' | 'gif' | 'webp', spec = 'plasma:'): Buffer {
  return inTemp((dir) => {
    const out = join(dir, `img.${format}`);
    execFileSync('convert', ['-size', `${width}x${height}`, spec, out]);
    return readFileSync(out);
  });
}
