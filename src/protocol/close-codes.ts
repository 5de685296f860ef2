/**
 * WebSocket close codes the server uses. 1xxx are RFC 6455; 4xxx are ours.
 * A client reconnects after any of them except where noted.
 */
export const CloseCode = {
  /** The server is shutting down or restarting: reconnect with backoff. */
  GOING_AWAY: 1001,
  /** A frame exceeded WS_MAX_FRAME_BYTES (sent by the ws library itself). Do not resend it. */
  MESSAGE_TOO_BIG: 1009,
  /**
   * Too many sockets from this IP (WS_MAX_CONNECTIONS_PER_IP), or too many sockets that have not
   * logged in yet, all IPs together (WS_MAX_UNAUTHENTICATED): reconnect later, with backoff.
   */
  TRY_AGAIN_LATER: 1013,
  /** No login within WS_LOGIN_TIMEOUT_MS of connecting. Reconnect and log in at once. */
  LOGIN_TIMEOUT: 4001,
  /** Nothing received for WS_IDLE_TIMEOUT_MS. Send `ping` every ~25 s to stay connected. */
  IDLE_TIMEOUT: 4002,
  /**
   * More than WS_MAX_MESSAGES_PER_SECOND frames in one second from this socket. A client that
   * sends only what it needs never sees it; reconnect with backoff.
   */
  TOO_MANY_MESSAGES: 4003,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];
