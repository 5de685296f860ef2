/**
 * What the runner asks of the load-generator process (bench/load/load-process.ts) over Node's
 * IPC channel, and what it answers. One request at a time; every answer carries the request id.
 */

/** One timed streamed answer as a client saw it. Times in ms. */
export interface ChatSample {
  /** request sent → first delta (NaN when none came) */
  ttfd: number;
  /** every gap between consecutive deltas, when asked for (`keepGaps`) */
  gaps?: number[];
  /** the longest gap between deltas (or before the first one), ms */
  maxGap: number;
  deltas: number;
  /** request sent → final frame */
  total: number;
  /** the answer failed (error frame, error code, timeout, closed socket) */
  error?: string;
  /** integrity problems (bench/load/delta-integrity.ts); any makes the run fail */
  violations: string[];
}

export type LoadRequest =
  /**
   * open `count` sockets, each logged in with a fresh code (`codePrefix` + n), from 127.0.0.1,
   * 127.0.0.2… (`perAddress` sockets each, so no source address runs out of ports); with `urls`,
   * client n connects to urls[n mod k] instead of `url` (several instances, round-robin)
   */
  | { cmd: 'open'; group: string; url: string; urls?: string[]; count: number; codePrefix: string; perAddress?: number; heartbeatMs?: number }
  /**
   * every client of the group runs `chatsPerClient` streamed chats one after another, all clients
   * at once; with `durationMs`, each keeps chatting instead until that long has passed (a closed
   * loop: a chat started before the deadline finishes)
   */
  | { cmd: 'chat'; group: string; chatsPerClient: number; durationMs?: number; expected: string; keepGaps?: boolean; timeoutMs?: number }
  /** `concurrency` direct SSE streams to the model, `chatsPerClient` each in turn (or for `durationMs`) */
  | { cmd: 'direct'; baseUrl: string; concurrency: number; chatsPerClient: number; durationMs?: number; expected: string; keepGaps?: boolean }
  /**
   * steady state: `streams` clients (the group's sockets, or direct SSE clients when `baseUrl`
   * is set) each start after a random delay in [0, staggerMs), then run one chat after another
   * until `staggerMs + durationMs` have passed; only chats started after the stagger are kept,
   * so every kept chat ran while ~`streams` others were in flight at random phases
   */
  | { cmd: 'steady'; group?: string; baseUrl?: string; streams: number; staggerMs: number; durationMs: number; expected: string; keepGaps?: boolean; timeoutMs?: number }
  | { cmd: 'close'; group: string };

export type LoadCommand = LoadRequest & { id: number };

export type LoadReply =
  /**
   * `eventLoopP99Ms`: the load generator's own event-loop delay p99 over the request (is it the
   * bottleneck?); `elapsedMs`: request received → last sample in (chats/s without the IPC time)
   */
  | { id: number; ok: true; samples?: ChatSample[]; opened?: number; eventLoopP99Ms?: number; elapsedMs?: number }
  | { id: number; ok: false; error: string };
