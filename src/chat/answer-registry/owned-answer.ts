import type { RedisClient } from '../../store/redis/create-redis-client.js';
import type { AnswerRun } from '../answer-run.js';
import type { SessionKeys } from './redis-answer-keys.js';
import { FINISH, RENEW } from './redis-answer-scripts.js';
import { encodeResult } from './result-codec.js';

export interface OwnedAnswerOptions {
  client: RedisClient;
  leaseMs: number;
  retentionSeconds: number;
  maxDeltas: number;
  onError: (error: Error) => void;
  /** the run ended (its result is written or failed to be): forget it */
  ended: () => void;
}

/**
 * One answer this instance generates, published for the others: each coalesced delta becomes
 * one stream entry (XADD, auto-pipelined, never awaited — the local socket already has it), the lease is renewed every third of its length, and the result is the last entry.
 * Cancel requests arrive by pub/sub (the registry) or as a flag seen at renewal.
 */
export class OwnedAnswer {
  private readonly renewal: NodeJS.Timeout;
  private readonly answer: { meta: string; stream: string; watch: string };
  private created = false;

  constructor(
    readonly run: AnswerRun,
    readonly keys: SessionKeys,
    /** '' when the chat carried no request_id */
    readonly requestKey: string,
    private readonly options: OwnedAnswerOptions,
  ) {
    this.answer = keys.answer(run.id);
    this.renewal = setInterval(() => void this.renew(), Math.max(100, Math.floor(options.leaseMs / 3)));
    this.renewal.unref();
    run.tap({
      delta: (delta) => this.append(['k', 'd', 'i', String(delta.index), 't', delta.delta]),
      progress: (progress) => this.append(['k', 'p', 'q', progress.query]),
      // the replay buffer must never hand the withdrawn text back: empty the stream (XTRIM
      // keeps its last id, so followers' cursors stay valid), then say so. Plain commands, not
      // a MULTI/pipeline: those are written at once and would overtake deltas still queued by
      // auto-pipelining, which would then land after the trim.
      retract: (retraction) => {
        const { client } = this.options;
        client.xtrim(this.answer.stream, 'MAXLEN', 0).catch(this.failed);
        client.xadd(this.answer.stream, '*', 'k', 'r', 'm', retraction.message).catch(this.failed);
      },
      done: (result) => {
        this.stop();
        // sent now, in order after the deltas and before the client hears the end
        this.finalize(encodeResult(result), result.status);
        this.options.ended();
      },
    });
  }

  /**
   * Writes the result and releases the lease. When Redis is away at that moment the write is
   * sent again as soon as the connection is back: the answer ended here, and without its
   * result another instance would take it for one whose instance died and store the partial
   * text as failed.
   */
  private finalize(encoded: string, status: string): void {
    const { client, retentionSeconds, maxDeltas } = this.options;
    const { run, keys } = this;
    FINISH.run(client, [keys.lock, this.answer.meta, this.answer.stream], [run.id, retentionSeconds, encoded, status, maxDeltas]).catch((error: Error) => {
      this.failed(error);
      const retry = () => {
        clearTimeout(giveUp);
        this.finalize(encoded, status);
      };
      // after the retention nothing of the answer is left in Redis to finish
      const giveUp = setTimeout(() => client.off('ready', retry), retentionSeconds * 1000);
      giveUp.unref();
      client.once('ready', retry);
    });
  }

  stop(): void {
    clearInterval(this.renewal);
  }

  /**
   * One entry, not awaited. The command client auto-pipelines, so the entries of every answer
   * written in one tick leave in one write. The first entry creates the stream: it gets its
   * TTL at once (renewals refresh it), so even a crash right after leaves nothing forever.
   */
  private append(fields: string[]): void {
    const { client, maxDeltas, retentionSeconds } = this.options;
    const { stream } = this.answer;
    client.xadd(stream, 'MAXLEN', '~', maxDeltas, '*', ...fields).catch(this.failed);
    if (!this.created) {
      this.created = true;
      client.expire(stream, retentionSeconds).catch(this.failed);
    }
  }

  private readonly failed = (error: Error) => this.options.onError(error);

  private async renew(): Promise<void> {
    const { client, leaseMs, retentionSeconds } = this.options;
    try {
      const [, cancel] = (await RENEW.run(client, [this.keys.lock, this.answer.meta, this.answer.stream, this.keys.cur], [this.run.id, leaseMs, retentionSeconds])) as [number, string];
      if (cancel === '1') this.run.cancel();
    } catch (error) {
      this.options.onError(error as Error);
    }
  }
}
