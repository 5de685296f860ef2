import sharp from 'sharp';

/** What a vision provider accepts; VISION_MAX_IMAGE_BYTES / VISION_MAX_IMAGE_SIDE. */
export interface ImageLimits {
  /** largest encoded image sent, bytes (OpenAI: 20 MB, Anthropic-style gateways ~5 MB, DashScope 10 MB: 4 MB fits all) */
  maxBytes: number;
  /** longest side, px (1568 px: what most vision models scale to anyway, so more only costs upload time) */
  maxSide: number;
}

export interface PreparedImage {
  mime: string;
  data: Buffer;
  width: number;
  height: number;
}

/** Formats every OpenAI-compatible vision endpoint we target takes as they are. */
const PASS_THROUGH = new Set(['image/png', 'image/jpeg', 'image/webp']);
/** JPEG qualities tried in turn until the image fits `maxBytes`. */
const QUALITIES = [85, 70, 55, 40];

/**
 * An uploaded image as a vision model can take it: unchanged when it is PNG, JPEG or WebP within
 * the limits; otherwise scaled down to `maxSide` and re-encoded as JPEG (quality lowered, then the
 * size halved, until it fits `maxBytes`). A GIF becomes its first frame (animated GIFs are not
 * accepted by most providers). EXIF rotation is applied first: phone photos stay upright.
 * Throws on bytes sharp cannot decode.
 */
export async function prepareImage(bytes: Buffer, mime: string, limits: ImageLimits): Promise<PreparedImage> {
  // pages: 1 = only the first frame of a GIF / animated WebP
  const meta = await sharp(bytes, { pages: 1 }).metadata();
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  const fits = Math.max(width, height) <= limits.maxSide && bytes.length <= limits.maxBytes;
  if (fits && PASS_THROUGH.has(mime) && (meta.pages ?? 1) <= 1) {
    // the header alone can be fine on a truncated file: decode it once, so the provider never gets a broken image
    await sharp(bytes).raw().toBuffer();
    return { mime, data: bytes, width, height };
  }
  let side = limits.maxSide;
  for (;;) {
    for (const quality of QUALITIES) {
      const { data, info } = await sharp(bytes, { pages: 1 })
        .autoOrient()
        .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true })
        // JPEG has no alpha: transparent areas become white, not black
        .flatten({ background: '#ffffff' })
        .jpeg({ quality })
        .toBuffer({ resolveWithObject: true });
      if (data.length <= limits.maxBytes || side <= 64) return { mime: 'image/jpeg', data, width: info.width, height: info.height };
    }
    side = Math.floor(side / 2);
  }
}
