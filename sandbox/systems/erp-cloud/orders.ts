import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SystemContext } from '../../core/system';
import type { StockFeed } from '../shared/stock-feed';
import { WebhookSender } from '../shared/webhooks';
import { errorBody, sendCloudError } from './errors';
import { InvalidCursorError, pageOf } from './paging';
import { withLineProgress, type CloudErpState, type CloudOrderStatus } from './state';

const ChangedOrdersQuery = z.object({
  changedSince: z.string().datetime({ offset: true }),
  pageSize: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().optional(),
});

const StatusChange = z.object({
  status: z.string().transform((s) => s.toUpperCase()).pipe(z.enum(['CREATED', 'ALLOCATED', 'SHIPPED', 'DELIVERED', 'CANCELLED'])),
  /** Send the same event this many times (duplicate deliveries happen in real life). */
  deliveries: z.number().int().min(1).max(10).default(1),
});

/** Orders: lookup, changed-since paging, and the admin hook that changes a status and emits a webhook. */
export function orderRoutes(app: FastifyInstance, ctx: SystemContext<CloudErpState>, webhooks: WebhookSender, stockFeed: StockFeed): void {
  app.get<{ Params: { orderNumber: string } }>('/api/v2/orders/:orderNumber', async (request, reply) => {
    const order = ctx.store.data.orders[request.params.orderNumber];
    if (!order) return sendCloudError(reply, 404, 'ORDER_NOT_FOUND', `order ${request.params.orderNumber} does not exist`);
    return withLineProgress(ctx.store.data, order);
  });

  app.get('/api/v2/orders', async (request, reply) => {
    const q = ChangedOrdersQuery.safeParse(request.query);
    if (!q.success) return sendCloudError(reply, 400, 'VALIDATION_ERROR', 'changedSince (ISO timestamp) is required; pageSize 1..500', { issues: q.error.issues.map((i) => i.message) });
    const since = new Date(q.data.changedSince).toISOString();
    const changed = Object.values(ctx.store.data.orders).filter((o) => o.updatedAt >= since);
    try {
      const page = pageOf(changed, (o) => `${o.updatedAt}|${o.orderNumber}`, q.data.pageSize, q.data.cursor, () => ctx.faults.repeatsCursor('GET', '/api/v2/orders'));
      return { ...page, data: page.data.map((o) => withLineProgress(ctx.store.data, o)) };
    } catch (err) {
      if (err instanceof InvalidCursorError) return sendCloudError(reply, 400, 'INVALID_CURSOR', err.message);
      throw err;
    }
  });

  // Admin surface: the "ERP user" changes an order; the ERP pushes order.status_changed to the orchestrator.
  app.post<{ Params: { orderNumber: string } }>('/__sandbox/erp/orders/:orderNumber/status', async (request, reply) => {
    const order = ctx.store.data.orders[request.params.orderNumber];
    if (!order) return reply.code(404).send(errorBody('ORDER_NOT_FOUND', `order ${request.params.orderNumber} does not exist`));
    const parsed = StatusChange.safeParse(request.body ?? {});
    if (!parsed.success) return reply.code(400).send(errorBody('VALIDATION_ERROR', 'status must be one of created, allocated, shipped, delivered, cancelled'));
    order.status = parsed.data.status as CloudOrderStatus;
    order.version += 1;
    order.updatedAt = new Date().toISOString();
    ctx.store.changed();
    const event = {
      id: `evt-erp-${order.orderNumber}-${order.version}`,
      type: 'order.status_changed',
      orderNumber: order.orderNumber,
      status: order.status.toLowerCase(),
      sequence: order.version,
      occurredAt: order.updatedAt,
    };
    ctx.record({ kind: 'order.statusChanged', ref: order.orderNumber, data: { status: event.status, sequence: event.sequence } });
    let queued = false;
    for (let i = 0; i < parsed.data.deliveries; i++) queued = webhooks.send(event) || queued;
    return { event, webhook: queued ? 'queued' : 'not-configured' };
  });

  // Lets tests wait until every webhook left the building.
  app.post('/__sandbox/erp/webhooks/flush', async () => {
    await Promise.all([webhooks.flush(), stockFeed.flush()]);
    return { deliveries: webhooks.deliveries, stockDeliveries: stockFeed.deliveries };
  });
}
