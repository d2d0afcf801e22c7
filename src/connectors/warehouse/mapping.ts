import type { Allocation, FulfilmentRelease, ReleaseStatus, ReturnReceipt } from '../../domain/fulfilment';
import type { Shipment } from '../../domain/shipment';
import type { WmsAllocations, WmsRelease, WmsReturnReceipt, WmsShipment } from './wms-schemas';

const iso = (text: string) => new Date(text).toISOString();

export function toRelease(r: WmsRelease): FulfilmentRelease {
  return {
    releaseId: r.id,
    orderNumber: (r.type === 'ORDER' ? r.orderNumber : r.replacementOrderNumber) ?? r.orderNumber ?? r.replacementOrderNumber ?? '',
    kind: r.type === 'ORDER' ? 'order' : 'replacement',
    warehouseId: r.warehouseId,
    status: r.status.toLowerCase() as ReleaseStatus,
    lines: r.lines,
    createdAt: iso(r.createdAt),
    shipmentId: r.shipmentId ?? undefined,
  };
}

export function toShipment(s: WmsShipment): Shipment {
  return {
    shipmentId: s.id,
    orderNumber: s.orderNumber,
    releaseId: s.releaseId ?? undefined,
    warehouseId: s.warehouseId,
    carrier: s.carrierCode,
    trackingNumber: s.trackingNumber,
    status: s.status === 'DELIVERED' ? 'delivered' : 'shipped',
    shippedAt: iso(s.shippedAt),
    deliveredAt: s.deliveredAt ? iso(s.deliveredAt) : undefined,
    events: s.events.map((e) => ({ eventId: e.eventId, type: e.eventType.toLowerCase(), occurredAt: iso(e.eventTime), location: e.location ?? undefined })),
  };
}

const ALLOCATION_STATUS = { ALLOCATED: 'allocated', SHIPPED: 'shipped', DEALLOCATED: 'released' } as const;

export function toAllocations(body: WmsAllocations): Allocation[] {
  return body.allocations.map((a) => ({
    orderNumber: a.orderNumber,
    lineNumber: a.lineNumber,
    sku: a.sku,
    quantity: a.quantity,
    warehouseId: a.warehouseId,
    releaseId: a.releaseId,
    status: ALLOCATION_STATUS[a.allocationStatus],
  }));
}

export function toReturnReceipt(r: WmsReturnReceipt): ReturnReceipt {
  return {
    receiptId: r.id,
    rmaNumber: r.rmaNumber,
    warehouseId: r.warehouseId ?? undefined,
    condition: r.condition,
    lines: r.lines,
    receivedAt: iso(r.receivedAt),
    restocked: r.restocked,
  };
}
