/**
 * Frames per second one socket may send, counted in one-second windows. A real client sends a
 * few frames a minute (chat, ping every ~25 s); a flood of pings or junk is an attack on the
 * event loop, not a conversation.
 */
export class MessageRateLimit {
  private windowStart = 0;
  private count = 0;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one frame; false once this second's budget is spent. */
  tryTake(): boolean {
    const now = this.now();
    if (now - this.windowStart >= 1_000) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count += 1;
    return this.count <= this.perSecond;
  }
}
