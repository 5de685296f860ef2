/**
 * Where an access_token is kept between fetches. One port, two drivers: in memory (one
 * process) and Redis (every instance of the gateway shares one token, so N instances cost one
 * stable_token call per token lifetime, not N). Contract: `token-cache.contract.ts`.
 *
 * The token is a credential: drivers never log it.
 */
export interface CachedToken {
  token: string;
  /** epoch ms after which the token must not be used (already shortened by the safety margin) */
  expiresAt: number;
}

export interface TokenCache {
  get(key: string): Promise<CachedToken | undefined>;
  /** Stores until `value.expiresAt` (the driver expires it by itself then). */
  set(key: string, value: CachedToken): Promise<void>;
  /**
   * Forgets the token — only if it is still `token`: an instance that saw 42001 must not
   * delete the fresh token another instance stored meanwhile.
   */
  delete(key: string, token: string): Promise<void>;
  close(): Promise<void>;
}
