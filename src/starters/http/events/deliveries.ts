import type { OrderEvent } from '../../../domain/order-event';

/** How far back the drain rate for Retry-After looks. */
const DRAIN_WINDOW_MS = 10_000;

interface Queued {
  orderNumber: string;
  events: OrderEvent[];
  settle: { resolve: () => void; reject: (err: unknown) => void }[];
}

/**
 * The API's signal-with-start calls, shared by all requests: a fixed number of lanes send them, and
 * events for an order whose delivery is still waiting for a lane join it, so concurrent requests
 * touching one order cost one call (and one workflow task) instead of one each. A request's promise
 * settles when its own events were delivered: accepted still means delivered.
 */
export class OrderDeliveryQueue {
  private readonly queue: Queued[] = [];
  private readonly waiting = new Map<string, Queued>();
  private busy = 0;
  /** Events in entries not yet sent. */
  private queuedEvents = 0;
  /** Events sent in the last DRAIN_WINDOW_MS, for the Retry-After estimate: [time, count] per finished call, older ones dropped as calls finish. */
  private readonly sent: [number, number][] = [];

  constructor(
    private readonly send: (orderNumber: string, events: OrderEvent[]) => Promise<void>,
    private readonly lanes: number,
    /** A joined call carries at most this many events (what one request may send), so a signal stays as small as one request's. */
    private readonly maxEvents: number,
    /** Events waiting for a lane, at most (see admit). */
    private readonly maxQueued: number = Number.POSITIVE_INFINITY,
    private readonly now: () => number = Date.now,
  ) {}

  /** Events waiting for a lane now. */
  get backlog(): number {
    return this.queuedEvents;
  }

  /**
   * Whether a request of `count` events fits in the backlog: undefined when it may be delivered now (always when nothing
   * waits, so one large request is never starved), else how long to wait, from the rate the lanes drained at lately.
   * Deliver right after admitting, in the same turn of the event loop.
   */
  admit(count: number): { retryAfterSeconds: number } | undefined {
    if (this.queuedEvents === 0 || this.queuedEvents + count <= this.maxQueued) return undefined;
    const now = this.now();
    const perSecond = this.sent.reduce((sum, [at, n]) => (now - at <= DRAIN_WINDOW_MS ? sum + n : sum), 0) / (DRAIN_WINDOW_MS / 1000);
    const excess = this.queuedEvents + count - this.maxQueued;
    return { retryAfterSeconds: Math.min(60, Math.max(1, Math.ceil(excess / Math.max(perSecond, 1)))) };
  }

  deliver(orderNumber: string, events: OrderEvent[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queuedEvents += events.length;
      const joined = this.waiting.get(orderNumber);
      if (joined && joined.events.length + events.length <= this.maxEvents) {
        joined.events.push(...events);
        joined.settle.push({ resolve, reject });
        return;
      }
      const entry: Queued = { orderNumber, events: [...events], settle: [{ resolve, reject }] };
      // A full entry stays queued as it is; later events for the order wait in this new one.
      this.waiting.set(orderNumber, entry);
      this.queue.push(entry);
      this.pump();
    });
  }

  private pump(): void {
    while (this.busy < this.lanes && this.queue.length) {
      const entry = this.queue.shift()!;
      // Once on its way, later events for the order start a new entry.
      this.waiting.delete(entry.orderNumber);
      this.queuedEvents -= entry.events.length;
      this.busy += 1;
      this.send(entry.orderNumber, entry.events).then(
        () => entry.settle.forEach((s) => s.resolve()),
        (err: unknown) => entry.settle.forEach((s) => s.reject(err)),
      ).finally(() => {
        const now = this.now();
        this.sent.push([now, entry.events.length]);
        while (now - this.sent[0][0] > DRAIN_WINDOW_MS) this.sent.shift();
        this.busy -= 1;
        this.pump();
      });
    }
  }
}
