/**
 * Bytes → string for the plain-text formats. UTF-8 first (BOM stripped); files saved by
 * Chinese Windows tools are often GB18030/GBK, so a buffer that is not valid UTF-8 is read as
 * GB18030 instead of turning every character into U+FFFD.
 */
export function decodeText(data: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(data);
  } catch {
    return new TextDecoder('gb18030').decode(data);
  }
}
