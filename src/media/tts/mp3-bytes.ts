/**
 * Just enough MP3 to tell audio from garbage and to join pieces: an ID3v2 tag ("ID3", 10-byte
 * header, syncsafe size) or an MPEG audio frame sync (11 set bits) at the start.
 */

/** Whether `head` (the first bytes a provider sent) starts like an MP3 file. */
export function looksLikeMp3(head: Buffer): boolean {
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'ID3') return true;
  // frame sync, and a layer field that is not the reserved 00
  return head.length >= 2 && head[0] === 0xff && (head[1]! & 0xe0) === 0xe0 && (head[1]! & 0x06) !== 0;
}

/**
 * How many leading bytes are an ID3v2 tag (0 when none, or when `head` is too short to say).
 * Pieces after the first are joined without their tag: players skip a tag in the middle of a
 * stream too, but some report a wrong duration when they meet one.
 */
export function id3v2Length(head: Buffer): number {
  if (head.length < 10 || head.toString('latin1', 0, 3) !== 'ID3') return 0;
  const size = ((head[6]! & 0x7f) << 21) | ((head[7]! & 0x7f) << 14) | ((head[8]! & 0x7f) << 7) | (head[9]! & 0x7f);
  const footer = head[5]! & 0x10 ? 10 : 0;
  return 10 + size + footer;
}
