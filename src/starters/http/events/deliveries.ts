import type { OrderEvent } from '../../../domain/order-event';

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

  constructor(
    private readonly send: (orderNumber: string, events: OrderEvent[]) => Promise<void>,
    private readonly lanes: number,
    /** A joined call carries at most this many events (what one request may send), so a signal stays as small as one request's. */
    private readonly maxEvents: number,
  ) {}

  deliver(orderNumber: string, events: OrderEvent[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
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
      this.busy += 1;
      this.send(entry.orderNumber, entry.events).then(
        () => entry.settle.forEach((s) => s.resolve()),
        (err: unknown) => entry.settle.forEach((s) => s.reject(err)),
      ).finally(() => {
        this.busy -= 1;
        this.pump();
      });
    }
  }
}
