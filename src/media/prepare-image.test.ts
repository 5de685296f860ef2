import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { prepareImage } from './prepare-image.js';

const limits = { maxBytes: 4 * 1024 * 1024, maxSide: 1568 };
/** random pixels: nothing compresses them, so sizes are predictable */
const noise = (width: number, height: number) => sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } });

describe('prepareImage', () => {
  it('passes a small PNG through unchanged', async () => {
    const png = await noise(40, 30).png().toBuffer();
    const out = await prepareImage(png, 'image/png', limits);
    assert.equal(out.mime, 'image/png');
    assert.ok(out.data.equals(png));
    assert.deepEqual([out.width, out.height], [40, 30]);
  });

  it('scales a large image down to the longest side, keeping its aspect ratio', async () => {
    const png = await noise(1200, 600).png().toBuffer();
    const out = await prepareImage(png, 'image/png', { ...limits, maxSide: 400 });
    assert.equal(out.mime, 'image/jpeg');
    const meta = await sharp(out.data).metadata();
    assert.deepEqual([meta.width, meta.height, meta.format], [400, 200, 'jpeg']);
  });

  it('re-encodes until the bytes fit', async () => {
    const png = await noise(500, 500).png().toBuffer();
    assert.ok(png.length > 100_000);
    const out = await prepareImage(png, 'image/png', { maxBytes: 30_000, maxSide: 1568 });
    assert.ok(out.data.length <= 30_000, `${out.data.length} bytes`);
    assert.equal((await sharp(out.data).metadata()).format, 'jpeg');
  });

  it('turns a GIF into its first frame as JPEG', async () => {
    const gif = await noise(20, 10).gif().toBuffer();
    const out = await prepareImage(gif, 'image/gif', limits);
    assert.equal(out.mime, 'image/jpeg');
    assert.deepEqual([out.width, out.height], [20, 10]);
  });

  it('rejects bytes that are no image, and an image cut in half', async () => {
    await assert.rejects(prepareImage(Buffer.from('not an image at all'), 'image/png', limits));
    const png = await noise(64, 64).png().toBuffer();
    await assert.rejects(prepareImage(png.subarray(0, png.length / 2), 'image/png', limits));
    const jpeg = await noise(64, 64).jpeg().toBuffer();
    await assert.rejects(prepareImage(jpeg.subarray(0, jpeg.length / 2), 'image/jpeg', limits));
  });
});
