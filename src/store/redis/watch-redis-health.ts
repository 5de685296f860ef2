import type { RedisClient } from './create-redis-client.js';

export interface RedisHealthHandlers {
  /** Once per outage: the connection was lost (or never came up) and the client is retrying. */
  onDown(error: Error | undefined): void;
  /** Once per outage, when the client is ready again. */
  onUp(): void;
}

/**
 * Turns ioredis's per-attempt events ('error' and 'close' about once a second while Redis is
 * down, each reconnect) into one "down" and one "up" per outage: an operator needs two lines,
 * not thousands. Also keeps an 'error' listener on the client, so its errors never crash the
 * process. `stop()` before quitting the client: a deliberate close is no outage.
 */
export function watchRedisHealth(client: RedisClient, handlers: RedisHealthHandlers): { isDown(): boolean; stop(): void } {
  let down = false;
  let stopped = false;
  // the first connect has not happened yet: a failure then is an outage too
  let everReady = false;
  const goDown = (error?: Error) => {
    if (down || stopped) return;
    down = true;
    handlers.onDown(error);
  };
  client.on('error', (error: Error) => goDown(error));
  // 'close' after 'ready' is the moment the socket dropped (a refused reconnect emits 'error')
  client.on('close', () => {
    if (everReady) goDown(undefined);
  });
  client.on('ready', () => {
    everReady = true;
    if (!down || stopped) return;
    down = false;
    handlers.onUp();
  });
  return {
    isDown: () => down,
    stop: () => {
      stopped = true;
    },
  };
}
