import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { TokenCache } from './token-cache.js';

/** What every TokenCache driver must do, run against its real backend (memory, Redis). */
export function runTokenCacheContract(open: () => Promise<{ cache: TokenCache; cleanup(): Promise<void> }>): void {
  const withCache = async (body: (cache: TokenCache) => Promise<void>) => {
    const { cache, cleanup } = await open();
    try {
      await body(cache);
    } finally {
      await cleanup();
    }
  };

  it('returns what was set, until it expires', () =>
    withCache(async (cache) => {
      assert.equal(await cache.get('wx1'), undefined);
      const value = { token: 'tok-a', expiresAt: Date.now() + 60_000 };
      await cache.set('wx1', value);
      assert.deepEqual(await cache.get('wx1'), value);
      assert.equal(await cache.get('wx2'), undefined);
      await cache.set('wx2', { token: 'tok-old', expiresAt: Date.now() - 1 });
      assert.equal(await cache.get('wx2'), undefined);
    }));

  it('deletes only while it still holds the bad token', () =>
    withCache(async (cache) => {
      const fresh = { token: 'tok-new', expiresAt: Date.now() + 60_000 };
      await cache.set('wx1', fresh);
      await cache.delete('wx1', 'tok-old');
      assert.deepEqual(await cache.get('wx1'), fresh);
      await cache.delete('wx1', 'tok-new');
      assert.equal(await cache.get('wx1'), undefined);
      await cache.delete('wx-none', 'tok');
    }));
}
