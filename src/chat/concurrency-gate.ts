/**
 * A process-wide cap on answers generated at once, with a bounded waiting line. Past the
 * line's length callers are refused at once (the client sees 503) rather than piling up
 * sockets and memory behind a slow model. Hand-written: p-limit/p-queue offer no
 * "refuse when full" nor per-waiter timeout and cancellation, which this needs.
 */
export class ConcurrencyGate {
  private active = 0;
  private readonly waiting: Array<{ grant: () => void }> = [];

  constructor(
    private readonly maxActive: number,
    private readonly maxQueued: number,
  ) {}

  get activeCount(): number {
    return this.active;
  }

  get queuedCount(): number {
    return this.waiting.length;
  }

  /**
   * A ticket for a slot, or null when the line is full. `acquired` resolves with a release
   * function once a slot is free; it rejects on `timeoutMs` or when `signal` aborts, and the
   * caller's place in line is given up.
   */
  enter(timeoutMs: number, signal: AbortSignal): { acquired: Promise<() => void> } | null {
    if (this.active < this.maxActive) {
      this.active++;
      return { acquired: Promise.resolve(this.releaser()) };
    }
    if (this.waiting.length >= this.maxQueued) return null;
    const acquired = new Promise<() => void>((resolve, reject) => {
      const entry = {
        grant: () => {
          cleanup();
          resolve(this.releaser());
        },
      };
      const giveUp = (reason: unknown) => {
        cleanup();
        const at = this.waiting.indexOf(entry);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(reason);
      };
      const timer = setTimeout(() => giveUp(new GateTimeoutError()), timeoutMs);
      timer.unref();
      const onAbort = () => giveUp(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      this.waiting.push(entry);
    });
    return { acquired };
  }

  /**
   * A slot now, or null: for optional work (follow-up suggestions) that must neither wait in
   * line nor take a slot an answer is waiting for.
   */
  tryEnter(): (() => void) | null {
    if (this.active >= this.maxActive || this.waiting.length > 0) return null;
    this.active++;
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.active--;
    };
  }
}

export class GateTimeoutError extends Error {
  override readonly name = 'GateTimeoutError';
  constructor() {
    super('waited too long for a free model slot');
  }
}
