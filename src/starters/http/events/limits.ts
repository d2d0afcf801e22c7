/**
 * A fixed-window counter per bucket (a source, an address). Kept in this process, like the seen
 * signatures: each API instance limits what reaches it.
 */
export class WindowLimiter {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request; how many seconds to wait when the bucket is full, undefined when it is let through. */
  take(bucket: string): { retryAfterSeconds: number } | undefined {
    const now = this.now();
    this.forgetOld(now);
    let window = this.windows.get(bucket);
    if (!window || now - window.startedAt >= this.windowMs) {
      window = { startedAt: now, count: 0 };
      this.windows.delete(bucket);
      this.windows.set(bucket, window);
    }
    if (window.count >= this.max) return { retryAfterSeconds: Math.max(1, Math.ceil((window.startedAt + this.windowMs - now) / 1000)) };
    window.count += 1;
    return undefined;
  }

  /** Whether the bucket is full, without counting. */
  full(bucket: string): { retryAfterSeconds: number } | undefined {
    const window = this.windows.get(bucket);
    const now = this.now();
    if (!window || now - window.startedAt >= this.windowMs || window.count < this.max) return undefined;
    return { retryAfterSeconds: Math.max(1, Math.ceil((window.startedAt + this.windowMs - now) / 1000)) };
  }

  private forgetOld(now: number): void {
    // Insertion order is start order: stop at the first window still open.
    for (const [bucket, window] of this.windows) {
      if (now - window.startedAt < this.windowMs) break;
      this.windows.delete(bucket);
    }
  }
}
