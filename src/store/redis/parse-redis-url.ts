/**
 * REDIS_URL names one of three topologies (ioredis speaks all three; no ioredis import here,
 * so config validation can use this without loading the driver):
 *
 * - `redis://[[user]:password@]host:6379[/db]` or `rediss://…` (TLS) — one server, as before;
 * - `redis+sentinel://[[user]:password@]host:26379,host2:26379/mymaster[?db=0&sentinelPassword=…]`
 *   — the master that these Sentinels name `mymaster`; the credentials are the master's;
 * - `redis+cluster://[[user]:password@]host:7000,host2:7001` — a Redis Cluster, these being seed nodes.
 *
 * `rediss+sentinel://` and `rediss+cluster://` use TLS to the data nodes.
 */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | {
      kind: 'sentinel';
      sentinels: HostPort[];
      /** the master's name as the Sentinels know it */
      name: string;
      username?: string;
      password?: string;
      sentinelPassword?: string;
      db: number;
      tls: boolean;
    }
  | { kind: 'cluster'; nodes: HostPort[]; username?: string; password?: string; tls: boolean };

export interface HostPort {
  host: string;
  port: number;
}

/** Thrown with a message that names what is wrong, never the password. */
export class RedisUrlError extends Error {
  override readonly name = 'RedisUrlError';
}

const SCHEME = /^(rediss?)(?:\+(sentinel|cluster))?:\/\/(.*)$/;

/**
 * @example
 * parseRedisUrl('redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2:26379/mymaster')
 * // → { kind: 'sentinel', sentinels: [{ host: '10.0.0.1', port: 26379 }, …], name: 'mymaster', password: 'pw', db: 0, tls: false }
 */
export function parseRedisUrl(url: string): RedisTarget {
  const match = SCHEME.exec(url.trim());
  if (!match) throw new RedisUrlError('must start with redis://, rediss://, redis+sentinel:// or redis+cluster://');
  const [, scheme, topology, rest] = match as unknown as [string, 'redis' | 'rediss', 'sentinel' | 'cluster' | undefined, string];
  if (!topology) {
    if (!URL.canParse(url)) throw new RedisUrlError('is not a valid URL');
    return { kind: 'single', url };
  }
  const tls = scheme === 'rediss';
  // userinfo ends at the last '@' before the path: a password may itself contain '@'
  const pathStart = indexOrEnd(rest, '/', rest.lastIndexOf('@') + 1);
  const queryStart = indexOrEnd(rest, '?', 0);
  const authority = rest.slice(0, Math.min(pathStart, queryStart));
  const path = rest.slice(Math.min(pathStart, queryStart), queryStart).replace(/^\//, '');
  const query = new URLSearchParams(rest.slice(queryStart + 1));
  const at = authority.lastIndexOf('@');
  const credentials = at >= 0 ? parseUserInfo(authority.slice(0, at)) : {};
  const hosts = parseHosts(at >= 0 ? authority.slice(at + 1) : authority, topology === 'sentinel' ? 26379 : 6379);
  if (topology === 'cluster') {
    if (path !== '') throw new RedisUrlError('a Redis Cluster has no database number or name: drop the path');
    return { kind: 'cluster', nodes: hosts, ...credentials, tls };
  }
  const name = decodeURIComponent(path);
  if (name === '') throw new RedisUrlError('names no master: add it as the path, e.g. redis+sentinel://host:26379/mymaster');
  const db = Number(query.get('db') ?? '0');
  if (!Number.isInteger(db) || db < 0) throw new RedisUrlError('db must be a whole number ≥ 0');
  const sentinelPassword = query.get('sentinelPassword') ?? undefined;
  return { kind: 'sentinel', sentinels: hosts, name, ...credentials, ...(sentinelPassword ? { sentinelPassword } : {}), db, tls };
}

function indexOrEnd(s: string, char: string, from: number): number {
  const i = s.indexOf(char, from);
  return i < 0 ? s.length : i;
}

function parseUserInfo(info: string): { username?: string; password?: string } {
  const colon = info.indexOf(':');
  const username = decodeURIComponent(colon >= 0 ? info.slice(0, colon) : info);
  const password = colon >= 0 ? decodeURIComponent(info.slice(colon + 1)) : undefined;
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/** `a:1,b,[::1]:2` → host/port pairs; a missing port is the topology's usual one. */
function parseHosts(list: string, defaultPort: number): HostPort[] {
  const hosts = list.split(',').map((entry) => {
    const m = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d+))?$/.exec(entry.trim());
    if (!m) throw new RedisUrlError(`has an invalid host "${entry.trim()}" (expected host:port)`);
    const port = m[2] === undefined ? defaultPort : Number(m[2]);
    if (port < 1 || port > 65535) throw new RedisUrlError(`has an invalid port in "${entry.trim()}"`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
  });
  if (hosts.length === 0 || hosts.some((h) => h.host === '')) throw new RedisUrlError('names no host');
  return hosts;
}
