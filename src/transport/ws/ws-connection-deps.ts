import type { Logger } from 'pino';
import type { AnswerRun } from '../../chat/answer-run.js';
import type { ChatService } from '../../chat/chat-service.js';
import type { ChatMedia } from '../../chat/chat-media.js';
import type { SessionService } from '../../auth/session-service.js';
import type { UsageLimits } from '../../limits/usage-limits.js';
import type { GatewayMetrics } from '../../observability/gateway-metrics.js';
import type { RequestId } from '../../protocol/client-messages.js';
import type { WsConnection } from './ws-connection.js';

/** What every WebSocket connection is given, and what all connections of one gateway share. */

export interface WsConnectionDeps {
  sessions: SessionService;
  chat: ChatService;
  logger: Logger;
  /** chats and tokens per user, logins per IP */
  usageLimits: UsageLimits;
  /** login outcomes; absent = not reported */
  metrics?: GatewayMetrics;
  /** photo and voice questions; absent = refused with a clear error */
  media?: ChatMedia | undefined;
  limits: {
    loginTimeoutMs: number;
    idleTimeoutMs: number;
    detachGraceMs: number;
    historyLimit: number;
    /** frames a socket may send per second before it is closed with 4003 */
    maxMessagesPerSecond: number;
    /** bytes queued for one socket before it is dropped */
    maxBufferedBytes: number;
    /** bytes queued for all sockets together before a socket that is behind is dropped */
    maxTotalBufferedBytes: number;
  };
}

/** State every connection of one gateway shares. */
export interface WsShared {
  /** true once shutdown began: new chats are refused, answers in flight finish */
  readonly draining: boolean;
  /**
   * The request_id of the `chat` that started each run, so its final `chat_response` carries
   * it even when delivered after a re-login or on another socket.
   */
  readonly chatRequestIds: WeakMap<AnswerRun, RequestId>;
  /** sockets that have not logged in yet; a socket leaves on its first login or on close */
  readonly unauthenticated: Set<WsConnection>;
  /** bytes queued for every open socket together (computed on demand) */
  totalBufferedBytes(): number;
}
