import { symbols, type Bindings, type ChildLoggerOptions, type Logger } from 'pino';

const { chindingsSym, parsedChindingsSym } = symbols;
type WithChindings = Logger & { [chindingsSym]?: string };

/** Values the gateway itself makes: ids, counters, addresses. Never a secret, never a user's text. */
export type OwnBindings = Record<string, string | number>;

/**
 * A child logger whose every line carries `bindings`, for the ids bound per request and per
 * answer. pino's `child()` runs each bound value through the redactor (our wildcard paths make
 * that ~3 µs warm, ~9 µs on a busy server) and gives the child its own level methods; here the
 * values are serialized once and the child inherits everything else from its parent (so it
 * follows the parent's level). What a line logs is still redacted as usual: only the bound
 * values skip it, and they are the gateway's own ids. `pino.symbols` is pino's documented hook
 * for such integrations; `bind-logger.test.ts` checks the lines it makes.
 */
export function bindLogger(parent: Logger, bindings: OwnBindings): Logger {
  const child = Object.create(parent) as WithChindings;
  child[chindingsSym] = serialize((parent as WithChindings)[chindingsSym] ?? '', bindings);
  return child;
}

/**
 * pino's `setBindings` for the gateway's own values: adds them to every later line of `logger`
 * without the redactor. The WebSocket route binds `conn` and `ip` this way; pino's
 * `setBindings` re-parsed all redaction paths on each call (~150 µs per connection in the
 * streaming profile).
 */
export function addBindings(logger: Logger, bindings: OwnBindings): void {
  const log = logger as WithChindings;
  log[chindingsSym] = serialize(log[chindingsSym] ?? '', bindings);
  // pino caches the parsed form for `bindings()`: it must be rebuilt
  delete (log as unknown as Record<symbol, unknown>)[parsedChindingsSym];
}

function serialize(chindings: string, bindings: OwnBindings): string {
  for (const key in bindings) chindings += `,${JSON.stringify(key)}:${JSON.stringify(bindings[key])}`;
  return chindings;
}

/**
 * Fastify's `childLoggerFactory`: the request logger (`reqId`) through `bindLogger`, unless a
 * route asks for child options (its own log level, serializers), which only pino's child has.
 */
export function requestLoggerFactory(logger: Logger, bindings: Bindings, options: ChildLoggerOptions): Logger {
  if (Object.keys(options).length > 0) return logger.child(bindings, options);
  return bindLogger(logger, bindings as OwnBindings);
}
