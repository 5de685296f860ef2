import { spawn } from 'node:child_process';

/**
 * The Debian `ffmpeg` binary (apt install ffmpeg), used to turn recordings a provider cannot
 * take (AMR; anything listed in ASR_CONVERT_FORMATS) into 16 kHz mono WAV. A binary rather than
 * an npm binding: the Debian package is maintained with security updates, and the bindings
 * either wrap the same binary or ship their own copy of it.
 */

/** The binary's first version line, or undefined when it cannot be run (not installed). */
export function detectFfmpeg(binary = 'ffmpeg'): Promise<string | undefined> {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(binary, ['-hide_banner', '-version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => resolve(code === 0 ? (out.split('\n')[0]?.trim() ?? 'ffmpeg') : undefined));
  });
}

/** Largest converted output kept, bytes: 16 kHz mono 16-bit is 32 kB/s, so ~30 minutes. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Any recording ffmpeg can read → 16 kHz mono PCM WAV (what every ASR service takes). */
export function ffmpegToWav(binary: string, input: Buffer, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['-hide_banner', '-loglevel', 'error', '-i', 'pipe:0', '-ac', '1', '-ar', '16000', '-f', 'wav', 'pipe:1'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      signal,
    });
    const out: Buffer[] = [];
    let size = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) return child.kill('SIGKILL');
      out.push(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-500)));
    // ffmpeg may stop reading early (bad input): that is its exit code's business, not a crash
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && size > 44 && size <= MAX_OUTPUT_BYTES) resolve(Buffer.concat(out));
      else reject(new Error(`ffmpeg could not convert the recording (exit ${code}): ${stderr.trim()}`));
    });
    child.stdin.end(input);
  });
}
