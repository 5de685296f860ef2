import type { RequestId } from './client-messages.js';
import { deltaFrame } from './server-frame.js';

/**
 * The wire text of one answer's `chat_delta` frames for one listener — exactly
 * `JSON.stringify(deltaFrame({ id, index, delta }, rid))` — with everything but the index and
 * the text serialised once per answer instead of once per frame (a frame goes out every
 * STREAM_COALESCE_MS for every streaming client: this is the hottest JSON on the server).
 *
 * @example
 * const text = deltaFrameText(run.id, rid);
 * socket.send(text(0, '你好'));
 */
export function deltaFrameText(id: string, rid?: RequestId): (index: number, delta: string) => string {
  // cut from a real frame, so the key order and envelope can never drift from deltaFrame's
  const sample = JSON.stringify(deltaFrame({ id, index: 0, delta: '' }, rid));
  const cut = sample.indexOf(`"index":0,"delta":""`);
  const head = sample.slice(0, cut);
  const tail = sample.slice(cut + `"index":0,"delta":""`.length);
  return (index, delta) => `${head}"index":${index},"delta":${JSON.stringify(delta)}${tail}`;
}
