import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import { receiveUpload } from './receive-upload.js';
import { UploadError } from './upload-error.js';

const limits = { maxImageBytes: 1_000, maxAudioBytes: 2_000, maxAudioSeconds: 60 };
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200)]);

test('a write that fails with ENOSPC is storage_full (the route answers 507); other write errors stay what they are', async () => {
  // simulated: the real full disk is test/upload-storage.test.ts's tmpfs, when the test may mount one
  const failing = (code: string) => () =>
    new Writable({ write: (_chunk, _encoding, done) => done(Object.assign(new Error(`${code}: simulated`), { code })) });
  await assert.rejects(
    receiveUpload(Readable.from([png.subarray(0, 100), png.subarray(100)]), '/nonexistent', limits, failing('ENOSPC')),
    (error: unknown) => error instanceof UploadError && error.kind === 'storage_full' && /存储空间不足/.test(error.message),
  );
  await assert.rejects(
    receiveUpload(Readable.from([png]), '/nonexistent', limits, failing('EIO')),
    (error: unknown) => !(error instanceof UploadError) && (error as NodeJS.ErrnoException).code === 'EIO',
  );
});

test('the byte limit of the kind applies as soon as the first bytes tell the kind; nothing past it is written', async () => {
  let written = 0;
  const sink = () => new Writable({ write: (chunk: Buffer, _encoding, done) => ((written += chunk.length), done()) });
  const chunks = Array.from({ length: 20 }, (_, i) => (i === 0 ? png.subarray(0, 100) : Buffer.alloc(100)));
  await assert.rejects(receiveUpload(Readable.from(chunks), '/x', limits, sink), (error: unknown) => error instanceof UploadError && error.kind === 'too_large' && /图片太大，最大 1 KB/.test(error.message));
  assert.equal(written, 1_000, 'stops at the image limit although audio may be larger');
});

test('a refusal is reported only once the temp file is closed, so the unlink by the caller finds the file (no .part left behind)', async () => {
  // a file stream still opening when the body fails: it closes (and the file exists) only later
  let closed = false;
  const opening = () =>
    new Writable({
      write: (_chunk, _encoding, done) => done(),
      destroy: (error, done) => setTimeout(() => ((closed = true), done(error)), 50),
    });
  const cut = new Readable({ read() {} });
  setImmediate(() => cut.destroy(new Error('Unexpected end of form')));
  await assert.rejects(receiveUpload(cut, '/x', limits, opening), /Unexpected end of form/);
  assert.ok(closed, 'closed before the rejection');
});
