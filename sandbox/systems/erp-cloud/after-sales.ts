import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SystemContext } from '../../core/system';
import { reject, validationError } from './errors';
import { exceedsRemaining, nextNumber, stockKey, type CloudErpState } from './state';

const ReplacementInput = z.object({
  originalOrderNumber: z.string().min(1),
  warehouseId: z.string().min(1),
  lines: z.array(z.object({ sku: z.string().min(1), qty: z.number().int().positive(), lineNo: z.number().int().positive().optional() })).min(1),
  reservationId: z.string().optional(),
  reason: z.string().optional(),
});

const ReturnInput = z.object({
  orderNumber: z.string().min(1),
  caseNumber: z.string().optional(),
  lines: z.array(z.object({ sku: z.string().min(1), qty: z.number().int().positive(), reason: z.string().optional() })).min(1),
});

/** Replacement orders and return authorizations: what customer service asks of the ERP after a sale. */
export function afterSalesRoutes(app: FastifyInstance, ctx: SystemContext<CloudErpState>): void {
  const state = () => ctx.store.data;
  const keyOf = (headers: Record<string, unknown>) => headers['idempotency-key'] as string | undefined;

  app.post('/api/v2/replacement-orders', async (request, reply) =>
    ctx.idempotent(request, reply, () => {
      const input = ReplacementInput.safeParse(request.body);
      if (!input.success) return validationError(input.error);
      const { originalOrderNumber, warehouseId, lines, reservationId } = input.data;
      const original = state().orders[originalOrderNumber];
      if (!original) return reject(404, 'ORDER_NOT_FOUND', `order ${originalOrderNumber} does not exist`);
      if (!state().warehouses.includes(warehouseId)) return reject(422, 'WAREHOUSE_NOT_FOUND', `warehouse ${warehouseId} does not exist`);
      // A line shipped again counts against what is left of it: never more than was ordered, across every case.
      const numbered = lines.flatMap((l) => (l.lineNo === undefined ? [] : [{ lineNo: l.lineNo, qty: l.qty }]));
      const excess = exceedsRemaining(state(), original, numbered);
      if (excess) return reject(409, 'QUANTITY_EXCEEDS_REMAINING', excess.message, { lineNo: excess.lineNo, remaining: excess.remaining });
      if (reservationId) {
        const reservation = state().reservations[reservationId];
        if (!reservation) return reject(404, 'RESERVATION_NOT_FOUND', `reservation ${reservationId} does not exist`);
        if (reservation.status !== 'ACTIVE') return reject(409, 'INVALID_STATE', `reservation ${reservationId} is ${reservation.status}`);
      } else {
        // Without a reservation the ERP checks stock itself, so a replacement never ships from thin air.
        for (const line of lines) {
          const stock = state().stock[stockKey(line.sku, warehouseId)];
          const available = stock ? stock.onHand - stock.reserved : 0;
          if (available < line.qty) return reject(409, 'INSUFFICIENT_STOCK', `only ${available} of ${line.sku} available in ${warehouseId}`, { sku: line.sku, available, requested: line.qty });
        }
      }
      const n = nextNumber(state(), 'replacement');
      const id = `RO-${String(n).padStart(6, '0')}`;
      const orderNumber = `SO-R${String(n).padStart(6, '0')}`;
      const now = new Date().toISOString();
      state().orders[orderNumber] = {
        ...original,
        orderNumber,
        salesChannel: 'REPLACEMENT',
        status: 'CREATED',
        placedAt: now,
        updatedAt: now,
        version: 1,
        lines: lines.map((l, i) => ({ lineNo: (i + 1) * 10, sku: l.sku, qty: l.qty, unitPrice: '0.00' })),
        totalAmount: '0.00',
        shipmentId: undefined,
        trackingNumber: undefined,
        carrier: undefined,
      };
      const replacement = { id, orderNumber, ...input.data, status: 'OPEN' as const, createdAt: now };
      state().replacementOrders[id] = replacement;
      ctx.store.changed();
      ctx.record({ kind: 'replacementOrder.created', ref: id, idempotencyKey: keyOf(request.headers), data: { orderNumber, originalOrderNumber } });
      return { status: 201, body: structuredClone(replacement) };
    }),
  );

  app.post<{ Params: { id: string } }>('/api/v2/replacement-orders/:id/cancel', async (request, reply) =>
    ctx.idempotent(request, reply, () => {
      const replacement = state().replacementOrders[request.params.id];
      if (!replacement) return reject(404, 'REPLACEMENT_ORDER_NOT_FOUND', `replacement order ${request.params.id} does not exist`);
      if (replacement.status === 'OPEN') {
        const order = state().orders[replacement.orderNumber];
        if (order && (order.status === 'SHIPPED' || order.status === 'DELIVERED')) {
          return reject(409, 'INVALID_STATE', `replacement order ${replacement.id} has already ${order.status.toLowerCase()}`);
        }
        replacement.status = 'CANCELLED';
        if (order) {
          order.status = 'CANCELLED';
          order.version += 1;
          order.updatedAt = new Date().toISOString();
        }
        ctx.store.changed();
        ctx.record({ kind: 'replacementOrder.cancelled', ref: replacement.id, idempotencyKey: keyOf(request.headers) });
      }
      return { status: 200, body: structuredClone(replacement) };
    }),
  );

  app.post('/api/v2/return-authorizations', async (request, reply) =>
    ctx.idempotent(request, reply, () => {
      const input = ReturnInput.safeParse(request.body);
      if (!input.success) return validationError(input.error);
      const order = state().orders[input.data.orderNumber];
      if (!order) return reject(404, 'ORDER_NOT_FOUND', `order ${input.data.orderNumber} does not exist`);
      if (order.status === 'CANCELLED') return reject(409, 'ORDER_NOT_RETURNABLE', `order ${order.orderNumber} is cancelled`);
      for (const line of input.data.lines) {
        const product = state().products[line.sku];
        if (product && !product.returnable) return reject(409, 'RETURN_NOT_ALLOWED', `${line.sku} is not returnable`, { sku: line.sku });
        const ordered = order.lines.filter((l) => l.sku === line.sku).reduce((sum, l) => sum + l.qty, 0);
        const authorized = Object.values(state().returnAuthorizations)
          .filter((r) => r.orderNumber === order.orderNumber && r.status === 'OPEN')
          .flatMap((r) => r.lines)
          .filter((l) => l.sku === line.sku)
          .reduce((sum, l) => sum + l.qty, 0);
        if (line.qty > ordered - authorized) {
          return reject(409, 'QUANTITY_EXCEEDS_ORDERED', `${line.qty} × ${line.sku} exceeds the ${ordered - authorized} still returnable on ${order.orderNumber}`, { sku: line.sku, ordered, authorized });
        }
      }
      const id = `RMA-${String(nextNumber(state(), 'rma')).padStart(6, '0')}`;
      const rma = { id, ...input.data, status: 'OPEN' as const, createdAt: new Date().toISOString() };
      state().returnAuthorizations[id] = rma;
      ctx.store.changed();
      ctx.record({ kind: 'returnAuthorization.created', ref: id, idempotencyKey: keyOf(request.headers), data: { orderNumber: order.orderNumber } });
      return { status: 201, body: structuredClone(rma) };
    }),
  );

  app.post<{ Params: { id: string } }>('/api/v2/return-authorizations/:id/cancel', async (request, reply) =>
    ctx.idempotent(request, reply, () => {
      const rma = state().returnAuthorizations[request.params.id];
      if (!rma) return reject(404, 'RETURN_AUTHORIZATION_NOT_FOUND', `return authorization ${request.params.id} does not exist`);
      if (rma.status === 'OPEN') {
        rma.status = 'CANCELLED';
        ctx.store.changed();
        ctx.record({ kind: 'returnAuthorization.cancelled', ref: rma.id, idempotencyKey: keyOf(request.headers) });
      }
      return { status: 200, body: structuredClone(rma) };
    }),
  );
}
