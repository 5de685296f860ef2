import type { Logger } from 'pino';

/**
 * A warning logged at most once per `intervalMs`: ioredis reports every reconnect attempt
 * (~1/s while Redis is down), and an operator needs one line, not thousands.
 */
export function throttledWarn(logger: Logger, message: string, intervalMs = 10_000): (error: Error) => void {
  let lastLog = 0;
  return (error) => {
    if (Date.now() - lastLog < intervalMs) return;
    lastLog = Date.now();
    logger.warn({ error: error.message }, message);
  };
}
