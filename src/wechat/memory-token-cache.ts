import type { CachedToken, TokenCache } from './token-cache.js';

/** One process's token cache: used when REDIS_URL is unset. */
export class MemoryTokenCache implements TokenCache {
  private readonly entries = new Map<string, CachedToken>();

  constructor(private readonly now: () => number = Date.now) {}

  async get(key: string): Promise<CachedToken | undefined> {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.now()) return entry;
    this.entries.delete(key);
    return undefined;
  }

  async set(key: string, value: CachedToken): Promise<void> {
    this.entries.set(key, { ...value });
  }

  async delete(key: string, token: string): Promise<void> {
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
