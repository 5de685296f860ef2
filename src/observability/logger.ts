import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Paths pino blanks in every log line. Secrets must never reach a log even when someone
 * logs a whole object by mistake; a test greps the log output for session_key values.
 */
export const redactedPaths = [
  'sessionKey',
  'session_key',
  '*.sessionKey',
  '*.session_key',
  'appSecret',
  '*.appSecret',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'adminToken',
  '*.adminToken',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'session_id',
  '*.session_id',
  'sessionId',
  '*.sessionId',
  'req.headers.authorization',
  'req.headers.cookie',
];

/**
 * Human-readable coloured lines for a developer's terminal. Loaded only when asked for:
 * production logs stay JSON for collectors, and the idle process does not carry the prettifier.
 */
export async function prettyDestination(): Promise<DestinationStream> {
  const { default: pretty } = await import('pino-pretty');
  return pretty(prettyOptions);
}

/** pino-pretty's settings (exported so a test can check hostile values cannot forge a line). */
export const prettyOptions = { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' };

export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      base: { service: 'wechat-ai-gateway' },
    },
    options.destination,
  );
}
