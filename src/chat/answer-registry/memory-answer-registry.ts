import { AnswerRun, type AnswerResult } from '../answer-run.js';
import { DEFAULT_RETENTION_SECONDS, type AnswerRegistry, type Claim, type LostAnswer, type RequestKey } from './answer-registry.js';
import { requestFingerprint } from './request-fingerprint.js';

export interface MemoryAnswerRegistryOptions {
  /** how long a request_id is remembered, seconds */
  retentionSeconds?: number;
  /** request_ids remembered at most (oldest forgotten first): bounds memory under a flood */
  maxRequests?: number;
  now?: () => number;
}

interface SeenRequest {
  at: number;
  /** the live run, replaced by an ended copy (no replay buffer) once it finishes */
  run: AnswerRun;
}

/**
 * The registry of one process (no REDIS_URL): a map of runs by session, as the chat service
 * always kept, plus the request_ids seen lately. Nothing is shared, nothing can be lost.
 */
export class MemoryAnswerRegistry implements AnswerRegistry {
  private readonly runs = new Map<string, AnswerRun>();
  /** insertion order = age order, so pruning stops at the first fresh entry */
  private readonly requests = new Map<string, SeenRequest>();
  private readonly fingerprints = new WeakMap<AnswerRun, string>();
  private readonly retentionMs: number;
  private readonly maxRequests: number;
  private readonly now: () => number;

  constructor(options: MemoryAnswerRegistryOptions = {}) {
    this.retentionMs = (options.retentionSeconds ?? DEFAULT_RETENTION_SECONDS) * 1000;
    this.maxRequests = options.maxRequests ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async claim(run: AnswerRun, request?: RequestKey): Promise<Claim> {
    this.prune();
    const fingerprint = request && requestFingerprint(run.ownerKey, request);
    const seen = fingerprint ? this.requests.get(fingerprint) : undefined;
    if (seen) return { kind: 'joined', run: seen.run };
    if (this.runs.has(run.ownerKey)) return { kind: 'busy' };
    this.runs.set(run.ownerKey, run);
    if (fingerprint) {
      this.requests.set(fingerprint, { at: this.now(), run });
      this.fingerprints.set(run, fingerprint);
    }
    run.tap({ done: (result) => this.settle(run, result) });
    return { kind: 'claimed' };
  }

  async withdraw(run: AnswerRun): Promise<void> {
    if (this.runs.get(run.ownerKey) === run) this.runs.delete(run.ownerKey);
    const fingerprint = this.fingerprints.get(run);
    if (fingerprint) this.requests.delete(fingerprint);
  }

  local(ownerKey: string): AnswerRun | undefined {
    return this.runs.get(ownerKey);
  }

  localRuns(): AnswerRun[] {
    return [...this.runs.values()];
  }

  async find(ownerKey: string): Promise<AnswerRun | undefined> {
    return this.runs.get(ownerKey);
  }

  /** Nothing beyond the history in one process: resuming a finished answer reads it there, as always. */
  async ended(): Promise<AnswerResult | undefined> {
    return undefined;
  }

  /** An instance cannot outlive itself: nothing is ever lost here. */
  onLost(_handler: (lost: LostAnswer) => Promise<void>): void {}

  async close(): Promise<void> {}

  private settle(run: AnswerRun, result: AnswerResult): void {
    if (this.runs.get(run.ownerKey) === run) this.runs.delete(run.ownerKey);
    const fingerprint = this.fingerprints.get(run);
    const seen = fingerprint ? this.requests.get(fingerprint) : undefined;
    if (seen) seen.run = AnswerRun.ended(result, run.openid, run.ownerKey);
  }

  private prune(): void {
    const oldest = this.now() - this.retentionMs;
    for (const [fingerprint, seen] of this.requests) {
      if (seen.at >= oldest && this.requests.size < this.maxRequests) break;
      this.requests.delete(fingerprint);
    }
  }
}
