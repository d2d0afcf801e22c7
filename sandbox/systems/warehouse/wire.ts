import type { FastifyReply } from 'fastify';
import type { ReleaseRecord, ShipmentRecord, WarehouseState } from './state';

/** The WMS's error dialect: {"status":"error","errorCode","errorMessage"}. */
export function sendWmsError(reply: FastifyReply, status: number, errorCode: string, errorMessage: string, details?: unknown): FastifyReply {
  return reply.code(status).send({ status: 'error', errorCode, errorMessage, ...(details ? { details } : {}) });
}

export function wmsErrorBody(errorCode: string, errorMessage: string) {
  return { status: 'error', errorCode, errorMessage };
}

export function serializeRelease(r: ReleaseRecord) {
  return {
    id: r.id,
    type: r.type,
    ...(r.type === 'ORDER' ? { orderNumber: r.orderNumber } : { replacementOrderNumber: r.orderNumber }),
    warehouseId: r.warehouseId,
    status: r.status,
    lines: r.lines,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    shipmentId: r.shipmentId ?? null,
    ...(r.clientReference ? { clientReference: r.clientReference } : {}),
    history: r.history,
  };
}

export function serializeShipment(state: WarehouseState, s: ShipmentRecord) {
  return {
    id: s.id,
    releaseId: s.releaseId,
    orderNumber: s.orderNumber,
    warehouseId: s.warehouseId,
    carrierCode: s.carrierCode,
    trackingNumber: s.trackingNumber,
    status: s.status,
    shippedAt: s.shippedAt,
    deliveredAt: s.deliveredAt ?? null,
    events: state.events
      .filter((e) => e.shipmentId === s.id)
      .map((e) => ({ eventId: e.eventId, eventType: e.eventType, eventTime: e.eventTime, location: e.location ?? null })),
  };
}
