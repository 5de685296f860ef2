import type { RequestId } from '../../protocol/client-messages.js';
import { AnswerRun, type AnswerListener } from '../answer-run.js';
import { decodeResult } from './result-codec.js';

/** A stream entry's fields as Redis returns them: [name, value, name, value, …]. */
export type EntryFields = string[];

/**
 * An answer generated on another instance, mirrored here from its Redis Stream so local
 * clients follow it exactly as a local run: the deltas so far (for `resume`), then the live
 * ones, then the result. Cancelling asks the owner; abandoning it here cancels nothing (the
 * owner runs the grace period, and keeps going while `followed` says someone watches here).
 */
export class RemoteAnswerRun extends AnswerRun {
  /** set when an index was skipped (the owner's writes failed, or the stream was trimmed):
   * no further deltas go out, the final frame still carries the whole answer */
  private gapped = false;

  constructor(
    id: string,
    openid: string,
    ownerKey: string,
    requestId: RequestId | undefined,
    private readonly owner: {
      /** asks the generating instance to cancel */
      cancel(run: RemoteAnswerRun): void;
      /** a first client follows here: tell the owner now, before its grace period can end */
      followed(run: RemoteAnswerRun): void;
    },
  ) {
    super(id, openid, ownerKey, requestId);
  }

  override attach(listener: AnswerListener): () => void {
    const first = this.listeners.size === 0;
    const detach = super.attach(listener);
    if (first && !this.result) this.owner.followed(this);
    return detach;
  }

  /** true while a client here follows it (the owner's grace period must not end it) */
  get followed(): boolean {
    return this.listeners.size > 0;
  }

  override cancel(): void {
    if (!this.result) this.owner.cancel(this);
  }

  /** No grace period here: the owner has its own, and sees whether anyone follows here. */
  override detach(listener: AnswerListener): void {
    this.listeners.delete(listener);
  }

  /** Applies one stream entry; true once the answer ended. */
  apply(fields: EntryFields): boolean {
    const field = (name: string) => {
      for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
      return undefined;
    };
    switch (field('k')) {
      case 'd': {
        const index = Number(field('i'));
        const text = field('t') ?? '';
        if (this.gapped || index < this.deltas.length) return false;
        if (index > this.deltas.length) {
          this.gapped = true;
          return false;
        }
        this.text += text;
        this.emitDelta(text);
        return false;
      }
      case 'p':
        this.emitProgress('searching', field('q') ?? '');
        return false;
      case 'r':
        this.text = '';
        this.retract('remote', field('m') ?? '');
        return false;
      case 'e':
        this.finish(decodeResult(field('r') ?? '{}'));
        return true;
      default:
        return false;
    }
  }
}
