/**
 * Turns a model's token stream into fewer, larger `chat_delta` frames: the first text goes
 * out at once (time to first token matters most), later text at most once per `intervalMs`.
 * A phone on a weak network then gets ~20 frames a second instead of one per token.
 */
export class DeltaCoalescer {
  private pending = '';
  private lastFlush = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly emit: (text: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  push(text: string): void {
    if (text === '') return;
    // 0 = one frame per model delta: nothing to hold, no clock to read (the hot path at 0)
    if (this.intervalMs <= 0 && this.pending === '') return this.emit(text);
    this.pending += text;
    const wait = this.lastFlush + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), wait);
      this.timer.unref();
    }
  }

  /** Emits whatever is pending (called before the final frame). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    this.lastFlush = this.now();
    this.emit(text);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
