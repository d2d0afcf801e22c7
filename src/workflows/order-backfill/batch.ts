import type { SalesforceActivities } from '../../activities/salesforce';
import type { Order } from '../../domain/order';

/** One row of a Bulk API 2.0 order upsert (Salesforce's OrderStatusUpdate). */
export type OrderStatusUpdate = Parameters<SalesforceActivities['upsertSalesforceOrdersBulk']>[0][number];
export type BulkResult = Awaited<ReturnType<SalesforceActivities['upsertSalesforceOrdersBulk']>>;
export type BulkFailure = BulkResult['failures'][number];

/** The ERP's order as the front office shows it: status, tracking, and what Salesforce needs to create it. */
export function toStatusUpdate(order: Order): OrderStatusUpdate {
  return {
    orderNumber: order.orderNumber,
    status: order.status,
    trackingNumber: order.trackingNumber,
    carrier: order.carrier,
    customerId: order.customerId,
    placedAt: order.placedAt,
  };
}

/** Order numbers become the external id in Salesforce: one the upsert cannot take would fail the whole job. */
export function unwritable(order: Order): BulkFailure | undefined {
  if (order.orderNumber.includes('/')) return { orderNumber: order.orderNumber, errorCode: 'INVALID_ORDER_NUMBER', message: 'order numbers cannot contain "/"' };
  return undefined;
}

/**
 * The orders read but not yet written, one row per order: an order read twice (it changed while the
 * backfill ran) keeps its latest version, so a Bulk job never holds the same external id twice.
 */
export class PendingRows {
  private readonly rows = new Map<string, { version: number; update: OrderStatusUpdate }>();

  add(order: Order): void {
    const held = this.rows.get(order.orderNumber);
    if (held && held.version > order.version) return;
    this.rows.set(order.orderNumber, { version: order.version, update: toStatusUpdate(order) });
  }

  get size(): number {
    return this.rows.size;
  }

  /** Takes up to `count` rows, oldest first. */
  take(count: number): OrderStatusUpdate[] {
    const taken: OrderStatusUpdate[] = [];
    for (const [orderNumber, row] of this.rows) {
      if (taken.length >= count) break;
      taken.push(row.update);
      this.rows.delete(orderNumber);
    }
    return taken;
  }
}
