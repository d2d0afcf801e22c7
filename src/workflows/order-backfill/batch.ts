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

/** UTF-8 bytes of a row as JSON (workflow code has no Buffer): what it adds to the activity payload. */
export function rowBytes(row: OrderStatusUpdate): number {
  let bytes = 0;
  for (const ch of JSON.stringify(row)) {
    const code = ch.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** Order numbers become the external id in Salesforce: one the upsert cannot take would fail the whole job; a row beyond the batch bound could never be sent. */
export function unwritable(order: Order, maxBatchBytes: number): BulkFailure | undefined {
  if (order.orderNumber.includes('/')) return { orderNumber: order.orderNumber, errorCode: 'INVALID_ORDER_NUMBER', message: 'order numbers cannot contain "/"' };
  if (rowBytes(toStatusUpdate(order)) + 2 > maxBatchBytes) return { orderNumber: order.orderNumber, errorCode: 'ROW_TOO_LARGE', message: `the order's row is larger than the batch bound of ${maxBatchBytes} bytes` };
  return undefined;
}

/**
 * The orders read but not yet written, one row per order: an order read twice (it changed while the
 * backfill ran) keeps its latest version, so a Bulk job never holds the same external id twice.
 */
export class PendingRows {
  private readonly rows = new Map<string, { version: number; update: OrderStatusUpdate; bytes: number }>();

  add(order: Order): void {
    const held = this.rows.get(order.orderNumber);
    if (held && held.version > order.version) return;
    const update = toStatusUpdate(order);
    this.rows.set(order.orderNumber, { version: order.version, update, bytes: rowBytes(update) });
  }

  get size(): number {
    return this.rows.size;
  }

  /** Takes up to `count` rows, oldest first, whose JSON array is at most `maxBytes` (at least one row, each fits: see unwritable). */
  take(count: number, maxBytes: number): OrderStatusUpdate[] {
    const taken: OrderStatusUpdate[] = [];
    let bytes = 2; // the array's brackets
    for (const [orderNumber, row] of this.rows) {
      const added = row.bytes + (taken.length > 0 ? 1 : 0);
      if (taken.length >= count || (taken.length > 0 && bytes + added > maxBytes)) break;
      taken.push(row.update);
      bytes += added;
      this.rows.delete(orderNumber);
    }
    return taken;
  }
}
