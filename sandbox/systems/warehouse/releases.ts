import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SystemContext } from '../../core/system';
import type { StockFeed } from '../shared/stock-feed';
import type { WebhookSender } from '../shared/webhooks';
import { RELEASE_FLOW, stockKey, type ReleaseRecord, type ReleaseStatus, type ShipmentEventRecord, type WarehouseState } from './state';
import { sendWmsError, serializeRelease, serializeShipment, wmsErrorBody } from './wire';

const ReleaseBody = z.object({
  orderNumber: z.string().min(1).optional(),
  replacementOrderNumber: z.string().min(1).optional(),
  warehouseId: z.string().min(1),
  lines: z.array(z.object({ lineNumber: z.number().int().positive().optional(), sku: z.string().min(1), quantity: z.number().int().positive() })).min(1).max(200),
  clientReference: z.string().min(1).max(255).optional(),
});
const AdvanceBody = z.object({ to: z.enum(['picked', 'packed', 'shipped', 'delivered']) });
const CARRIERS = ['UPS', 'DHL', 'FEDEX'];

const nowIso = () => new Date().toISOString();
const idempotencyKeyOf = (headers: Record<string, unknown>) => headers['idempotency-key'] as string | undefined;
const releaseIsLive = (r: ReleaseRecord) => r.status !== 'CANCELLED';
const isShipped = (status: ReleaseStatus) => status === 'SHIPPED' || status === 'DELIVERED';

export function releaseRoutes(app: FastifyInstance, ctx: SystemContext<WarehouseState>, webhooks: WebhookSender, stockFeed: StockFeed): void {
  const changed = (warehouseId: string, sku: string) => {
    const stock = ctx.store.data.stock[stockKey(warehouseId, sku)];
    if (stock) stockFeed.changed(sku, warehouseId, stock, stock.allocated);
  };

  const state = () => ctx.store.data;

  const emit = (event: Omit<ShipmentEventRecord, 'seq' | 'eventId'>) => {
    const s = state();
    s.counters.event += 1;
    const record: ShipmentEventRecord = { ...event, seq: s.counters.event, eventId: `WEV-${String(s.counters.event).padStart(8, '0')}` };
    s.events.push(record);
    webhooks.send({
      id: record.eventId,
      type: webhookType(record.eventType),
      orderNumber: record.orderNumber,
      releaseId: record.releaseId,
      clientReference: s.releases[record.releaseId]?.clientReference,
      shipmentId: record.shipmentId,
      trackingNumber: record.trackingNumber,
      carrier: record.carrierCode,
      location: record.location,
      sequence: record.seq,
      occurredAt: record.eventTime,
    });
    return record;
  };

  app.post('/wms/v1/releases', async (request, reply) =>
    ctx.idempotent(request, reply, () => {
      const body = ReleaseBody.safeParse(request.body ?? {});
      if (!body.success) return { status: 400, body: { ...wmsErrorBody('VALIDATION_FAILED', 'warehouseId and at least one line {sku, quantity} are required'), details: body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) } };
      const { orderNumber, replacementOrderNumber, warehouseId, lines, clientReference } = body.data;
      if (Boolean(orderNumber) === Boolean(replacementOrderNumber)) {
        return { status: 400, body: wmsErrorBody('VALIDATION_FAILED', 'give exactly one of orderNumber or replacementOrderNumber') };
      }
      const s = state();
      if (!s.warehouses[warehouseId]) return { status: 422, body: wmsErrorBody('UNKNOWN_WAREHOUSE', `warehouse ${warehouseId} is not operated by this WMS`) };
      const unknown = lines.find((l) => !s.skus.includes(l.sku));
      if (unknown) return { status: 422, body: wmsErrorBody('UNKNOWN_SKU', `item ${unknown.sku} is not in the item master`) };
      const target = (orderNumber ?? replacementOrderNumber)!;
      // Without a key, a second release of the same order to the same building would ship twice.
      const live = Object.values(s.releases).find((r) => r.orderNumber === target && r.warehouseId === warehouseId && releaseIsLive(r));
      if (live) return { status: 409, body: { ...wmsErrorBody('DUPLICATE_RELEASE', `order ${target} already has release ${live.id} at ${warehouseId}`), releaseId: live.id } };
      const needed = new Map<string, number>();
      for (const l of lines) needed.set(l.sku, (needed.get(l.sku) ?? 0) + l.quantity);
      for (const [sku, quantity] of needed) {
        const stock = s.stock[stockKey(warehouseId, sku)] ?? { onHand: 0, allocated: 0 };
        if (stock.onHand - stock.allocated < quantity) {
          return { status: 409, body: wmsErrorBody('INSUFFICIENT_STOCK', `${sku} at ${warehouseId}: ${Math.max(0, stock.onHand - stock.allocated)} available, ${quantity} requested`) };
        }
      }
      for (const [sku, quantity] of needed) {
        const key = stockKey(warehouseId, sku);
        s.stock[key] ??= { onHand: 0, allocated: 0 };
        s.stock[key].allocated += quantity;
        changed(warehouseId, sku);
      }
      s.counters.release += 1;
      const at = nowIso();
      const release: ReleaseRecord = {
        id: `REL-W${String(s.counters.release).padStart(7, '0')}`,
        type: orderNumber ? 'ORDER' : 'REPLACEMENT',
        orderNumber: target,
        warehouseId,
        status: 'RELEASED',
        lines: lines.map((l, i) => ({ lineNumber: l.lineNumber ?? (i + 1) * 10, sku: l.sku, quantity: l.quantity })),
        createdAt: at,
        updatedAt: at,
        history: [{ status: 'RELEASED', at }],
        ...(clientReference ? { clientReference } : {}),
      };
      s.releases[release.id] = release;
      ctx.store.changed();
      ctx.record({ kind: 'release.created', ref: release.id, idempotencyKey: idempotencyKeyOf(request.headers), data: { orderNumber: target, type: release.type, warehouseId, lines: release.lines } });
      return { status: 201, body: serializeRelease(release) };
    }),
  );

  app.get<{ Params: { id: string } }>('/wms/v1/releases/:id', async (request, reply) => {
    const release = state().releases[request.params.id];
    if (!release) return sendWmsError(reply, 404, 'RELEASE_NOT_FOUND', `release ${request.params.id} does not exist`);
    return serializeRelease(release);
  });

  app.post<{ Params: { id: string } }>('/wms/v1/releases/:id/cancel', async (request, reply) =>
    ctx.idempotent(request, reply, () => {
      const release = state().releases[request.params.id];
      if (!release) return { status: 404, body: wmsErrorBody('RELEASE_NOT_FOUND', `release ${request.params.id} does not exist`) };
      // Cancelling twice is a no-op: the compensation may run again after a crash.
      if (release.status === 'CANCELLED') return { status: 200, body: serializeRelease(release) };
      if (isShipped(release.status)) {
        return { status: 409, body: wmsErrorBody('RELEASE_ALREADY_SHIPPED', `release ${release.id} is ${release.status} and can no longer be cancelled`) };
      }
      const s = state();
      for (const l of release.lines) {
        const stock = s.stock[stockKey(release.warehouseId, l.sku)];
        if (stock) stock.allocated = Math.max(0, stock.allocated - l.quantity);
      }
      for (const sku of new Set(release.lines.map((l) => l.sku))) changed(release.warehouseId, sku);
      const at = nowIso();
      release.status = 'CANCELLED';
      release.updatedAt = at;
      release.history.push({ status: 'CANCELLED', at });
      ctx.store.changed();
      ctx.record({ kind: 'release.cancelled', ref: release.id, idempotencyKey: idempotencyKeyOf(request.headers), data: { orderNumber: release.orderNumber } });
      emit({ eventType: 'RELEASE_CANCELLED', eventTime: at, orderNumber: release.orderNumber, releaseId: release.id });
      return { status: 200, body: serializeRelease(release) };
    }),
  );

  app.get('/wms/v1/allocations', async (request, reply) => {
    const orderNumber = (request.query as { orderNumber?: string }).orderNumber;
    if (!orderNumber) return sendWmsError(reply, 400, 'VALIDATION_FAILED', 'orderNumber is required');
    const allocations = Object.values(state().releases)
      .filter((r) => r.orderNumber === orderNumber)
      .flatMap((r) =>
        r.lines.map((l) => ({
          orderNumber: r.orderNumber,
          lineNumber: l.lineNumber,
          sku: l.sku,
          quantity: l.quantity,
          warehouseId: r.warehouseId,
          releaseId: r.id,
          allocationStatus: r.status === 'CANCELLED' ? 'DEALLOCATED' : isShipped(r.status) ? 'SHIPPED' : 'ALLOCATED',
        })),
      );
    return { orderNumber, allocations };
  });

  // Admin: the warehouse floor moves a release forward; shipping creates the parcel and its tracking number.
  app.post<{ Params: { id: string } }>('/__sandbox/warehouse/releases/:id/advance', async (request, reply) => {
    const release = state().releases[request.params.id];
    if (!release) return sendWmsError(reply, 404, 'RELEASE_NOT_FOUND', `release ${request.params.id} does not exist`);
    const body = AdvanceBody.safeParse(request.body ?? {});
    if (!body.success) return sendWmsError(reply, 400, 'VALIDATION_FAILED', 'to must be one of picked, packed, shipped, delivered');
    if (release.status === 'CANCELLED') return sendWmsError(reply, 409, 'RELEASE_CANCELLED', `release ${release.id} was cancelled`);
    const from = RELEASE_FLOW.indexOf(release.status as (typeof RELEASE_FLOW)[number]);
    const to = RELEASE_FLOW.indexOf(body.data.to.toUpperCase() as (typeof RELEASE_FLOW)[number]);
    if (to < from) return sendWmsError(reply, 409, 'INVALID_TRANSITION', `release ${release.id} is already ${release.status}`);
    const s = state();
    const events: ShipmentEventRecord[] = [];
    for (let step = from + 1; step <= to; step++) {
      const status = RELEASE_FLOW[step];
      const at = nowIso();
      release.status = status;
      release.updatedAt = at;
      release.history.push({ status, at });
      const city = s.warehouses[release.warehouseId]?.city;
      if (status === 'PICKED' || status === 'PACKED') {
        events.push(emit({ eventType: status === 'PICKED' ? 'RELEASE_PICKED' : 'RELEASE_PACKED', eventTime: at, orderNumber: release.orderNumber, releaseId: release.id, location: city }));
      } else if (status === 'SHIPPED') {
        s.counters.shipment += 1;
        const carrierCode = CARRIERS[parseInt(hash(release.id).slice(0, 8), 16) % CARRIERS.length];
        const shipment = {
          id: `SHP-W${String(s.counters.shipment).padStart(6, '0')}`,
          releaseId: release.id,
          orderNumber: release.orderNumber,
          warehouseId: release.warehouseId,
          carrierCode,
          trackingNumber: `${carrierCode.slice(0, 2)}${hash(`${release.id}:${s.counters.shipment}`).slice(0, 12).toUpperCase()}`,
          status: 'SHIPPED' as const,
          shippedAt: at,
        };
        s.shipments[shipment.id] = shipment;
        release.shipmentId = shipment.id;
        for (const l of release.lines) {
          const stock = s.stock[stockKey(release.warehouseId, l.sku)];
          if (stock) {
            stock.onHand = Math.max(0, stock.onHand - l.quantity);
            stock.allocated = Math.max(0, stock.allocated - l.quantity);
          }
        }
        for (const sku of new Set(release.lines.map((l) => l.sku))) changed(release.warehouseId, sku);
        ctx.record({ kind: 'shipment.created', ref: shipment.id, data: { releaseId: release.id, orderNumber: release.orderNumber, trackingNumber: shipment.trackingNumber, carrier: carrierCode } });
        events.push(emit({ eventType: 'SHIPPED', eventTime: at, orderNumber: release.orderNumber, releaseId: release.id, shipmentId: shipment.id, trackingNumber: shipment.trackingNumber, carrierCode, location: city }));
      } else if (status === 'DELIVERED') {
        const shipment = s.shipments[release.shipmentId!];
        shipment.status = 'DELIVERED';
        shipment.deliveredAt = at;
        ctx.record({ kind: 'shipment.delivered', ref: shipment.id, data: { releaseId: release.id, orderNumber: release.orderNumber } });
        events.push(emit({ eventType: 'DELIVERED', eventTime: at, orderNumber: release.orderNumber, releaseId: release.id, shipmentId: shipment.id, trackingNumber: shipment.trackingNumber, carrierCode: shipment.carrierCode }));
      }
    }
    ctx.store.changed();
    const shipment = release.shipmentId ? s.shipments[release.shipmentId] : undefined;
    return {
      release: serializeRelease(release),
      shipment: shipment ? serializeShipment(s, shipment) : null,
      events,
      webhook: webhooks.configured ? 'queued' : 'not-configured',
    };
  });

  // Lets tests wait until every webhook left the building.
  app.post('/__sandbox/warehouse/webhooks/flush', async () => {
    await Promise.all([webhooks.flush(), stockFeed.flush()]);
    return { deliveries: webhooks.deliveries, stockDeliveries: stockFeed.deliveries };
  });
}

function webhookType(eventType: ShipmentEventRecord['eventType']): string {
  switch (eventType) {
    case 'RELEASE_PICKED':
      return 'release.picked';
    case 'RELEASE_PACKED':
      return 'release.packed';
    case 'RELEASE_CANCELLED':
      return 'release.cancelled';
    case 'SHIPPED':
      return 'shipment.shipped';
    case 'DELIVERED':
      return 'shipment.delivered';
  }
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
