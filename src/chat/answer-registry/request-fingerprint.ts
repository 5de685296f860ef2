import { createHash } from 'node:crypto';
import type { RequestKey } from './answer-registry.js';

/**
 * A retry is the same `request_id` with the same question. A client that reuses ids (a counter
 * reset on reload) and asks something else gets a new answer, not an old one.
 */
export function requestFingerprint(ownerKey: string, request: RequestKey): string {
  return createHash('sha256').update(`${ownerKey}\0${JSON.stringify(request.requestId)}\0${request.query}`).digest('base64url').slice(0, 32);
}
