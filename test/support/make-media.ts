import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Real media files made by the tools an operator has (ImageMagick, espeak-ng, ffmpeg, sox), by name. */
export interface MediaFiles {
  dir: string;
  /** x.png, x.jpg, x.webp, x.gif, x.wav, x.mp3, x.m4a, x.aac, x.amr, x.silk, plain.silk, long.wav, long.mp3, noise.png, video.mp4 */
  file(name: string): Buffer;
  path(name: string): string;
  cleanup(): void;
}

/**
 * Makes every accepted format from a real tool. Two are special:
 * - AMR: Debian's ffmpeg and sox ship no AMR *encoder* (opencore is not linked in), so the
 *   file is assembled from mode-7 (12.2 kbps) frames after the "#!AMR\n" header — the exact
 *   layout of the RFC 4867 storage format — and ffmpeg's AMR decoder reads it back.
 * - SILK: encoded by silk-wasm (Tencent's codec compiled to wasm) from the espeak-ng WAV;
 *   x.silk has the 0x02 byte WeChat puts before "#!SILK_V3" (silk-wasm writes it so), plain.silk does not.
 */
export async function makeMedia(): Promise<MediaFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'wag-media-'));
  const path = (name: string) => join(dir, name);
  const run = (command: string, args: string[]) => execFileSync(command, args, { cwd: dir, stdio: 'pipe' });
  run('convert', ['-size', '64x64', 'xc:red', 'x.png']);
  run('convert', ['-size', '64x64', 'gradient:red-blue', 'x.jpg']);
  run('convert', ['-size', '64x64', 'xc:green', 'x.webp']);
  run('convert', ['-size', '64x64', 'xc:blue', 'x.gif']);
  // ~500 KB of incompressible pixels: over the tests' UPLOAD_MAX_IMAGE_BYTES
  run('convert', ['-size', '300x300', 'xc:', '+noise', 'Random', 'noise.png']);
  run('espeak-ng', ['-w', 'x.wav', '你好，请问今天天气怎么样']);
  for (const ext of ['mp3', 'm4a', 'aac']) run('ffmpeg', ['-loglevel', 'error', '-y', '-i', 'x.wav', `x.${ext}`]);
  // 61 s of tone at 8 kHz: over the 60 s limit, under the byte limit
  run('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', 'long.wav', 'synth', '61', 'sine', '440']);
  run('ffmpeg', ['-loglevel', 'error', '-y', '-i', 'long.wav', '-b:a', '32k', 'long.mp3']);
  // an MP4 with video: an ISO file like M4A, which must not pass as audio
  run('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=1:size=64x64:rate=5', '-f', 'lavfi', '-i', 'sine=duration=1', '-shortest', '-pix_fmt', 'yuv420p', 'video.mp4']);
  const frames = Array.from({ length: 150 }, (_, i) => Buffer.concat([Buffer.from([0x3c]), Buffer.alloc(31, i % 7)]));
  writeFileSync(path('x.amr'), Buffer.concat([Buffer.from('#!AMR\n'), ...frames]));
  run('ffmpeg', ['-loglevel', 'error', '-i', 'x.amr', '-f', 'null', '-']); // throws if ffmpeg cannot decode it
  const { encode } = await import('silk-wasm');
  // silk-wasm writes WeChat's layout (0x02 first); plain.silk is the standard one without it
  const silk = Buffer.from((await encode(readFileSync(path('x.wav')), 0)).data);
  writeFileSync(path('x.silk'), silk);
  writeFileSync(path('plain.silk'), silk[0] === 0x02 ? silk.subarray(1) : silk);
  return {
    dir,
    file: (name) => readFileSync(path(name)),
    path,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
