import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { DiskUploadStore } from '../media/disk-upload-store.js';
import { SqliteUploadCatalog } from '../media/sqlite-upload-catalog.js';
import type { UploadKind } from '../media/upload-store.js';
import { AppError } from '../protocol/error-catalogue.js';
import type { StoredMessage } from '../store/history-store.js';
import { openSqlite } from '../store/sqlite/open-sqlite.js';
import { ChatMedia } from './chat-media.js';

const options = {
  maxImages: 2,
  imageLimits: { maxBytes: 4 * 1024 * 1024, maxSide: 64 },
  visionAvailable: true,
  conversion: { convert: new Set<string>(), ffmpeg: undefined },
};
const png = (width: number) => sharp({ create: { width, height: 10, channels: 3, background: '#336699' } }).png().toBuffer();

describe('ChatMedia against the real disk upload store', () => {
  let dir: string;
  let store: DiskUploadStore;
  let media: ChatMedia;
  let now = Date.now();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wag-chat-media-'));
    const catalog = new SqliteUploadCatalog(openSqlite(join(dir, 'gateway.sqlite')), { ownsDb: true });
    store = await DiskUploadStore.open({ dir: join(dir, 'uploads'), catalog, ttlMs: 3_600_000, now: () => now, sweepEveryMs: 0 });
    media = new ChatMedia({ uploads: store, transcriber: undefined, options });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function put(openid: string, kind: UploadKind, mime: string, data: Buffer): Promise<string> {
    const temp = store.tempFile();
    writeFileSync(temp, data);
    return (await store.save(temp, { openid, kind, mime, bytes: data.length })).id;
  }
  const question = (id: string, images: string[], extra: Partial<StoredMessage> = {}): StoredMessage => ({
    id, role: 'user', content: id, status: 'complete', createdAt: 1, attachments: images.map((uploadId) => ({ kind: 'image', uploadId })), ...extra,
  });
  const answer = (id: string): StoredMessage => ({ id, role: 'assistant', content: `答${id}`, status: 'complete', createdAt: 2 });
  const reason = (expected: string) => (error: unknown) => error instanceof AppError && error.reason === expected;

  it('checks image ids: own, image, at most maxImages, decodable; duplicates count once', async () => {
    const a = await put('o1', 'image', 'image/png', await png(10));
    const b = await put('o1', 'image', 'image/png', await png(12));
    const c = await put('o1', 'image', 'image/png', await png(14));
    const theirs = await put('o2', 'image', 'image/png', await png(10));
    const audio = await put('o1', 'audio', 'audio/mpeg', Buffer.from('ID3'));
    assert.deepEqual(await media.checkImages('o1', [a, b, a]), [{ kind: 'image', uploadId: a }, { kind: 'image', uploadId: b }]);
    await assert.rejects(media.checkImages('o1', [a, b, c]), reason('too_many_images'));
    await assert.rejects(media.checkImages('o1', [theirs]), reason('upload_not_found'));
    await assert.rejects(media.checkImages('o1', [audio]), reason('upload_not_found'));
    const offline = new ChatMedia({ uploads: store, transcriber: undefined, options: { ...options, visionAvailable: false } });
    await assert.rejects(offline.checkImages('o1', [a]), reason('vision_not_configured'));
  });

  it('prompts carry the latest image question\'s images, scaled; older ones and expired ones get a note', async () => {
    const old = await put('o3', 'image', 'image/png', await png(20));
    const big = await put('o3', 'image', 'image/png', await png(200));
    const turns = [question('q1', [old]), answer('a1'), question('q2', [big]), answer('a2'), question('q3', [])];
    const prompt = await media.promptTurns('o3', turns);
    assert.equal(prompt[0]!.images, undefined);
    assert.match(prompt[0]!.note ?? '', /此前这个问题附有 1 张图片/);
    assert.equal(prompt[2]!.images!.length, 1);
    assert.equal(prompt[2]!.note, undefined);
    const sent = await sharp(Buffer.from(prompt[2]!.images![0]!.base64, 'base64')).metadata();
    assert.deepEqual([prompt[2]!.images![0]!.mime, sent.width], ['image/jpeg', 64], 'scaled to maxSide');
    assert.equal(prompt[4], turns[4], 'turns without images are passed as they are');

    now += 2 * 3_600_000; // past the uploads' ttl
    const expired = await media.promptTurns('o3', turns);
    now -= 2 * 3_600_000;
    assert.deepEqual(expired[2]!.images, []);
    assert.match(expired[2]!.note ?? '', /图片已过期/);
  });

  it('a blocked question\'s images are never sent again', async () => {
    const id = await put('o4', 'image', 'image/png', await png(10));
    const prompt = await media.promptTurns('o4', [question('q', [id], { status: 'blocked' }), answer('a')]);
    assert.equal(prompt[0]!.images, undefined);
  });

  it('a voice question without a transcriber is asr_not_configured', async () => {
    await assert.rejects(media.transcribe('o1', 'anything', new AbortController().signal), (error: unknown) => (error as { kind?: string }).kind === 'not_configured');
  });
});
