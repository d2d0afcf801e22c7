import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SystemContext } from '../../core/system';
import type { WarehouseState } from './state';
import { sendWmsError, serializeShipment } from './wire';

const EventsQuery = z.object({ afterSeq: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(500).default(100) });

/** Shipments by order and by id, and the shipment-event feed (the pull twin of the webhooks). */
export function shipmentRoutes(app: FastifyInstance, ctx: SystemContext<WarehouseState>): void {
  app.get<{ Params: { orderNumber: string } }>('/wms/v1/orders/:orderNumber/shipments', async (request) => {
    const s = ctx.store.data;
    const shipments = Object.values(s.shipments)
      .filter((sh) => sh.orderNumber === request.params.orderNumber)
      .sort((a, b) => a.shippedAt.localeCompare(b.shippedAt))
      .map((sh) => serializeShipment(s, sh));
    // An order the WMS never saw simply has no shipments, as WMS order views answer.
    return { orderNumber: request.params.orderNumber, shipments };
  });

  app.get<{ Params: { id: string } }>('/wms/v1/shipments/:id', async (request, reply) => {
    const shipment = ctx.store.data.shipments[request.params.id];
    if (!shipment) return sendWmsError(reply, 404, 'SHIPMENT_NOT_FOUND', `shipment ${request.params.id} does not exist`);
    return serializeShipment(ctx.store.data, shipment);
  });

  app.get('/wms/v1/shipment-events', async (request, reply) => {
    const q = EventsQuery.safeParse(request.query);
    if (!q.success) return sendWmsError(reply, 400, 'VALIDATION_FAILED', 'afterSeq >= 0, limit 1..500');
    const after = ctx.store.data.events.filter((e) => e.seq > q.data.afterSeq);
    const page = after.slice(0, q.data.limit);
    return { events: page, nextAfterSeq: page.length ? page[page.length - 1].seq : q.data.afterSeq, hasMore: after.length > page.length };
  });
}
