/**
 * What the gateway remembers of images sent to WeChat's mediaCheckAsync: which upload, user,
 * question and answer a `trace_id` belongs to, and the verdict once WeChat pushes it. Drivers:
 * SQLite (a table in gateway.sqlite) and Redis (keys with a TTL); `media-check-store.contract.ts`
 * runs both against their real backends.
 */

export type MediaVerdict = 'pass' | 'review' | 'risky';

export interface MediaCheckRecord {
  /** WeChat's id for the check (the push carries it back) */
  traceId: string;
  uploadId: string;
  openid: string;
  /** the answer of the question that carried the image; its question is `questionIdOf(answerId)` */
  answerId: string;
  /** epoch ms */
  submittedAt: number;
  verdict?: MediaVerdict;
  /** e.g. `image:20002`, set with the verdict */
  label?: string;
}

export interface MediaCheckStore {
  /**
   * Claims `uploadId` for a check: true the first time (the caller submits it), false when it
   * was already claimed — an image is checked once per upload, whatever the questions it is in.
   */
  claim(uploadId: string): Promise<boolean>;
  /** Records a submitted check (after WeChat gave its trace_id). */
  put(record: MediaCheckRecord): Promise<void>;
  find(traceId: string): Promise<MediaCheckRecord | undefined>;
  /**
   * Records the verdict; true the first time, false when this trace already had one (a
   * replayed push: WeChat retries when it gets no "success" within 5 s).
   */
  settle(traceId: string, verdict: MediaVerdict, label: string): Promise<boolean>;
  /** Marks these messages of the user as flagged with `label` (question and answer of a risky image). */
  flag(openid: string, messageIds: string[], label: string): Promise<void>;
  /** The flags of any of these messages of the user (message id → label). */
  flagsOf(openid: string, messageIds: string[]): Promise<Map<string, string>>;
  close(): Promise<void>;
}
