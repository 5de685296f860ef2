import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { settle, type Callbacks } from './wx-callbacks.js';

/**
 * The media half of the wx shim (test/support/wx-shim.ts): files are real files in a temp folder,
 * and every call does what the phone does to them, for real —
 * - wx.uploadFile: a real multipart/form-data POST (field `name`), progress per chunk written,
 *   `data` handed back as a **string** (wx.uploadFile never parses JSON);
 * - wx.getRecorderManager: `stop()` hands over the recording the test queued (real audio,
 *   e.g. espeak-ng + ffmpeg) as a temp file; `start` options are kept for assertions;
 * - wx.chooseMedia: the images the test queued (real ImageMagick pictures) as temp files;
 * - wx.compressImage: ImageMagick re-encodes to JPEG at the given quality;
 * - wx.createInnerAudioContext: `play()` fetches `src` from the server and records what came back;
 * - wx.getSetting / wx.authorize / wx.openSetting: scope.record as the user answered.
 * Callbacks are asynchronous, as on a phone.
 */


export interface AudioPlay {
  src: string;
  status: number;
  contentType: string;
  bytes: number;
  /** true when stop() (or a new src) ended it before the bytes were all read */
  stopped: boolean;
}

export interface WxMediaControls {
  /** what the next RecorderManager.stop() hands over: real audio bytes and the duration the phone reports */
  queueRecording(data: Buffer, durationMs: number): void;
  /** what the next wx.chooseMedia returns */
  queueImages(images: Buffer[]): void;
  /** the next `n` wx.uploadFile calls fail like a dropped network (before any byte is sent) */
  failUploads(n: number): void;
  /** the user's answer to scope.record: true allowed, false denied earlier, undefined never asked */
  setRecordPermission(value: boolean | undefined, promptAnswer?: boolean): void;
  /** options of every RecorderManager.start() */
  recorderStarts: Array<Record<string, unknown>>;
  /** every wx.uploadFile: url, field name, bytes, the progress events it reported */
  uploads: Array<{ url: string; name: string; bytes: number; progress: number[]; statusCode?: number }>;
  /** every InnerAudioContext.play(), once its response is read */
  plays: AudioPlay[];
  /** plays whose audio began to arrive (bytes still growing while they stream) */
  started: AudioPlay[];
  /** wx.compressImage calls: src → tempFilePath, quality */
  compressions: Array<{ src: string; quality: number; bytes: number }>;
  /** resolves when the plays in flight are finished */
  settled(): Promise<void>;
}

export function createWxMedia(): { api: Record<string, unknown>; controls: WxMediaControls } {
  const dir = mkdtempSync(join(tmpdir(), 'wx-shim-'));
  let seq = 0;
  const tempFile = (ext: string, data: Buffer) => {
    const path = join(dir, `tmp_${++seq}.${ext}`);
    writeFileSync(path, data);
    return path;
  };
  const recordings: Array<{ data: Buffer; durationMs: number }> = [];
  const imageQueue: Buffer[][] = [];
  let uploadFailures = 0;
  let recordScope: boolean | undefined;
  let promptAnswer = true;
  const inFlight = new Set<Promise<void>>();
  const controls: WxMediaControls = {
    queueRecording: (data, durationMs) => void recordings.push({ data, durationMs }),
    queueImages: (images) => void imageQueue.push(images),
    failUploads: (n) => void (uploadFailures = n),
    setRecordPermission(value, answer = true) {
      recordScope = value;
      promptAnswer = answer;
    },
    recorderStarts: [],
    uploads: [],
    plays: [],
    started: [],
    compressions: [],
    settled: async () => void (await Promise.all([...inFlight])),
  };

  // --- RecorderManager: one per app, as wx.getRecorderManager() returns the same object
  const recListeners: { start: Function[]; stop: Function[]; error: Function[] } = { start: [], stop: [], error: [] };
  let recording = false;
  const recorder = {
    start(options: Record<string, unknown>) {
      if (recordScope === false) {
        return queueMicrotask(() => recListeners.error.forEach((cb) => cb({ errMsg: 'operateRecorder:fail auth deny' })));
      }
      controls.recorderStarts.push({ ...options });
      recording = true;
      queueMicrotask(() => recListeners.start.forEach((cb) => cb({})));
    },
    stop() {
      if (!recording) return;
      recording = false;
      const next = recordings.shift();
      if (!next) return queueMicrotask(() => recListeners.error.forEach((cb) => cb({ errMsg: 'operateRecorder:fail no recording queued' })));
      const tempFilePath = tempFile('mp3', next.data);
      queueMicrotask(() => recListeners.stop.forEach((cb) => cb({ tempFilePath, duration: next.durationMs, fileSize: next.data.length })));
    },
    onStart: (cb: Function) => void recListeners.start.push(cb),
    onStop: (cb: Function) => void recListeners.stop.push(cb),
    onError: (cb: Function) => void recListeners.error.push(cb),
  };

  const api = {
    getRecorderManager: () => recorder,
    getSetting(o: Callbacks<{ authSetting: Record<string, boolean> }>) {
      const authSetting: Record<string, boolean> = recordScope === undefined ? {} : { 'scope.record': recordScope };
      settle(o, true, { authSetting, errMsg: 'getSetting:ok' });
    },
    authorize(o: { scope: string } & Callbacks<{ errMsg: string }>) {
      // a scope denied once is not asked again: authorize fails at once, as on the phone
      if (o.scope === 'scope.record' && recordScope === undefined) recordScope = promptAnswer;
      const ok = o.scope !== 'scope.record' || recordScope === true;
      settle(o, ok, { errMsg: ok ? 'authorize:ok' : 'authorize:fail auth deny' });
    },
    openSetting: (o: Callbacks<{ authSetting: Record<string, boolean> }>) => settle(o, true, { authSetting: {}, errMsg: 'openSetting:ok' }),
    vibrateShort: () => undefined,
    chooseMedia(o: { count?: number; mediaType?: string[] } & Callbacks<unknown>) {
      const images = imageQueue.shift();
      if (!images) return settle(o, false, { errMsg: 'chooseMedia:fail cancel' });
      const tempFiles = images.slice(0, o.count ?? 9).map((data) => ({ tempFilePath: tempFile(sniffExt(data), data), size: data.length, fileType: 'image' }));
      settle(o, true, { tempFiles, type: 'image', errMsg: 'chooseMedia:ok' });
    },
    compressImage(o: { src: string; quality?: number } & Callbacks<{ tempFilePath: string }>) {
      try {
        const quality = o.quality ?? 80;
        const out = join(dir, `tmp_${++seq}.jpg`);
        execFileSync('convert', [o.src, '-quality', String(quality), out]);
        controls.compressions.push({ src: o.src, quality, bytes: statSync(out).size });
        settle(o, true, { tempFilePath: out, errMsg: 'compressImage:ok' });
      } catch (error) {
        settle(o, false, { errMsg: `compressImage:fail ${(error as Error).message}` });
      }
    },
    uploadFile: (o: UploadOptions) => uploadFile(o, controls, () => (uploadFailures > 0 ? (uploadFailures--, true) : false)),
    createInnerAudioContext: () => createAudio(controls, inFlight),
  };
  return { api, controls };
}

function sniffExt(data: Buffer): string {
  if (data[0] === 0x89 && data[1] === 0x50) return 'png';
  if (data[0] === 0xff && data[1] === 0xd8) return 'jpg';
  return 'bin';
}

type UploadOptions = {
  url: string;
  filePath: string;
  name: string;
  header?: Record<string, string>;
  formData?: Record<string, string>;
  timeout?: number;
} & Callbacks<{ data: string; statusCode: number; errMsg: string }>;

/** A real multipart POST, written in 16 KiB pieces so progress events come as on a phone. */
function uploadFile(o: UploadOptions, controls: WxMediaControls, dropNetwork: () => boolean) {
  const progressCbs: Function[] = [];
  const file = readFileSync(o.filePath);
  const boundary = `----wxshim${Date.now().toString(16)}`;
  const fields = Object.entries(o.formData ?? {})
    .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
    .join('');
  const head = Buffer.from(`${fields}--${boundary}\r\nContent-Disposition: form-data; name="${o.name}"; filename="${basename(o.filePath)}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const body = Buffer.concat([head, file, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const record: WxMediaControls['uploads'][number] = { url: o.url, name: o.name, bytes: file.length, progress: [] };
  controls.uploads.push(record);
  let aborted = false;
  if (dropNetwork()) {
    settle(o, false, { errMsg: 'uploadFile:fail socket hang up' });
    return { onProgressUpdate: () => undefined, offProgressUpdate: () => undefined, abort: () => undefined };
  }
  const req = httpRequest(o.url, {
    method: 'POST',
    headers: { ...o.header, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) },
    timeout: o.timeout ?? 60_000,
  });
  const task = {
    onProgressUpdate: (cb: Function) => void progressCbs.push(cb),
    offProgressUpdate: (cb: Function) => void progressCbs.splice(progressCbs.indexOf(cb) >>> 0, 1),
    abort() {
      aborted = true;
      req.destroy();
    },
  };
  req.on('response', (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      // answered before the whole body went out (a 413): drop the connection, as a phone does
      if (!req.writableFinished) req.destroy();
      record.statusCode = res.statusCode;
      settle(o, true, { data: Buffer.concat(chunks).toString('utf8'), statusCode: res.statusCode ?? 0, errMsg: 'uploadFile:ok' });
    });
  });
  let answered = false;
  req.on('response', () => void (answered = true));
  req.on('error', (error) => !answered && settle(o, false, { errMsg: aborted ? 'uploadFile:fail abort' : `uploadFile:fail ${error.message}` }));
  setImmediate(async () => {
    for (let at = 0; at < body.length && !aborted && !answered && !req.destroyed; at += 16_384) {
      const piece = body.subarray(at, at + 16_384);
      if (!req.write(piece)) await new Promise((r) => req.once('drain', r));
      const sent = Math.min(body.length, at + piece.length);
      const progress = Math.floor((sent * 100) / body.length);
      record.progress.push(progress);
      progressCbs.forEach((cb) => cb({ progress, totalBytesSent: sent, totalBytesExpectedToSend: body.length }));
    }
    if (!aborted && !req.destroyed) req.end();
  });
  return task;
}

function createAudio(controls: WxMediaControls, inFlight: Set<Promise<void>>) {
  const on: Record<string, Function[]> = { play: [], canplay: [], ended: [], stop: [], error: [] };
  const fire = (kind: string, res: unknown = {}) => on[kind]!.forEach((cb) => cb(res));
  let controller: AbortController | undefined;
  let current: AudioPlay | undefined;
  const ctx: Record<string, any> = {
    src: '',
    autoplay: false,
    destroyed: false,
    play() {
      const src = ctx.src as string;
      controller?.abort();
      const mine = new AbortController();
      controller = mine;
      const play: AudioPlay = { src, status: 0, contentType: '', bytes: 0, stopped: false };
      current = play;
      const run = (async () => {
        try {
          const res = await fetch(src, { signal: mine.signal });
          play.status = res.status;
          play.contentType = res.headers.get('content-type') ?? '';
          if (res.status !== 200 && res.status !== 206) {
            await res.arrayBuffer();
            controls.plays.push(play);
            return fire('error', { errCode: 10004, errMsg: `audio fetch ${res.status}` });
          }
          controls.started.push(play);
          fire('canplay');
          fire('play');
          for await (const chunk of res.body as AsyncIterable<Uint8Array>) play.bytes += chunk.length;
          controls.plays.push(play);
          current = undefined;
          fire('ended');
        } catch {
          play.stopped = true;
          controls.plays.push(play);
        }
      })();
      inFlight.add(run);
      void run.finally(() => inFlight.delete(run));
    },
    stop() {
      if (current) current.stopped = true;
      controller?.abort();
      fire('stop');
    },
    pause() {
      ctx.stop();
    },
    destroy() {
      ctx.destroyed = true;
      controller?.abort();
    },
  };
  for (const kind of Object.keys(on)) {
    const name = kind[0]!.toUpperCase() + kind.slice(1);
    ctx[`on${name}`] = (cb: Function) => void on[kind]!.push(cb);
    ctx[`off${name}`] = (cb: Function) => void on[kind]!.splice(on[kind]!.indexOf(cb) >>> 0, 1);
  }
  return ctx;
}
