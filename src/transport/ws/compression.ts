import type { PerMessageDeflateOptions } from 'ws';

/**
 * permessage-deflate as `WS_COMPRESSION=true` turns it on: for large frames only. Off by
 * default; only a client that offers the extension gets it (browsers always do,
 * `wx.connectSocket` when asked with `perMessageDeflate: true`), the others see no change.
 * docs/performance.md ("WebSocket 压缩", `npm run bench:compression`) has the measurements:
 *
 * - Frames under `threshold` go out as they are: the `chat_delta` stream (~150 bytes a frame)
 *   never waits for zlib. Compressing every frame (context takeover, where small frames shrink
 *   too) cut a streamed chat's bytes 4.6× but cost 1.7× the CPU and +35 ms on TTFD p99: zlib
 *   runs on libuv's thread pool, a hop per frame.
 * - No context takeover, either way: each message compressed on its own, so the deflate state
 *   between messages is reset rather than carried (and `threshold` applies, which ws honours
 *   only then). History pages, conversation lists and long answers still shrink ~7×.
 * - Small window and memLevel: a socket keeps its zlib state from its first compressed frame to
 *   its close. With zlib's defaults that measured 196 KB of RSS per socket, with these ~50 KB,
 *   for a history page 833 bytes on the wire instead of 805. A socket that never got a large
 *   frame has no zlib state at all.
 * - Inflated frames stay bounded by `WS_MAX_FRAME_BYTES` (ws counts the inflated size: a
 *   deflate bomb closes with 1009).
 */
export function compressionOptions(enabled: boolean): PerMessageDeflateOptions | false {
  if (!enabled) return false;
  return {
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: WINDOW_BITS,
    clientMaxWindowBits: WINDOW_BITS,
    zlibDeflateOptions: { memLevel: 2, level: 6 },
    threshold: 1024,
  };
}

const WINDOW_BITS = 10;
