import { NonRetryableDownstreamError } from '../../domain/errors';
import type { SalesforceConnector } from './connector';
import { MAX_ORDERS_PER_COLLECTION, OrderStatusUpdateSchema, type OrderStatusUpdate, type OrderUpsertResult } from './order-status';

export interface OrderWriteBatching {
  /** How long the first update of a batch waits for others (ms). */
  windowMs: number;
  /** Orders per batch, at most Salesforce's 200 per collections call. */
  maxBatch: number;
}

interface Waiting {
  update: OrderStatusUpdate;
  resolve: (result: OrderUpsertResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Order-status upserts from concurrent order syncs (each its own activity), gathered for a short
 * window and sent as one collections upsert by Order_Number__c; each caller gets its own record's
 * outcome, or the request's failure. Upserts by external id are idempotent, so a retried caller
 * simply joins a later batch. An order already waiting starts a new batch: one call never carries
 * two updates of the same order (Salesforce would refuse it), and that batch waits until the
 * earlier one was answered, so an order's updates land in the order they were made.
 */
export class OrderWriteCoalescer {
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Batches on the wire, by order number: a later update of the same order waits for them. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly sf: Pick<SalesforceConnector, 'upsertOrderStatuses'>,
    private readonly batching: OrderWriteBatching,
  ) {
    if (batching.maxBatch < 1 || batching.maxBatch > MAX_ORDERS_PER_COLLECTION) throw new RangeError(`an order batch holds 1 to ${MAX_ORDERS_PER_COLLECTION} orders`);
  }

  /** One order's upsert, answered when its batch is; a malformed update fails alone, before joining. */
  upsert(update: OrderStatusUpdate): Promise<OrderUpsertResult> {
    const parsed = OrderStatusUpdateSchema.safeParse(update);
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'} ${i.message}`).join('; ');
      return Promise.reject(new NonRetryableDownstreamError('ValidationError', { system: 'salesforce', operation: 'upsertOrderStatus', code: 'INVALID_INPUT', message }));
    }
    return new Promise<OrderUpsertResult>((resolve, reject) => {
      if (this.waiting.some((w) => w.update.orderNumber === parsed.data.orderNumber)) void this.flush();
      this.waiting.push({ update: parsed.data, resolve, reject });
      if (this.waiting.length >= this.batching.maxBatch) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.batching.windowMs);
    });
  }

  /** Sends what is waiting now (also at shutdown, so no caller is left hanging); settles once it was answered. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting.splice(0);
    return batch.length ? this.send(batch) : Promise.resolve();
  }

  private send(batch: Waiting[]): Promise<void> {
    const earlier = [...new Set(batch.map((w) => this.inFlight.get(w.update.orderNumber)).filter((p) => p !== undefined))];
    const sent = Promise.all(earlier).then(() => this.write(batch));
    for (const w of batch) this.inFlight.set(w.update.orderNumber, sent);
    return sent.finally(() => {
      for (const w of batch) if (this.inFlight.get(w.update.orderNumber) === sent) this.inFlight.delete(w.update.orderNumber);
    });
  }

  private async write(batch: Waiting[]): Promise<void> {
    try {
      const outcomes = await this.sf.upsertOrderStatuses(batch.map((w) => w.update));
      outcomes.forEach((outcome, i) => (outcome.ok ? batch[i].resolve(outcome.result) : batch[i].reject(outcome.error)));
    } catch (err) {
      // The request itself failed (503, limit, timeout, open breaker): every order's activity retries on its own.
      for (const w of batch) w.reject(err);
    }
  }
}
