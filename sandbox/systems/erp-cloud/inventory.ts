import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SystemContext } from '../../core/system';
import type { StockFeed } from '../shared/stock-feed';
import { reject, sendCloudError, validationError } from './errors';
import { nextNumber, stockKey, type CloudErpState } from './state';

const Lines = z.array(z.object({ sku: z.string().min(1), qty: z.number().int().positive() })).min(1);
const ReservationInput = z.object({
  warehouseId: z.string().min(1),
  lines: Lines,
  orderNumber: z.string().optional(),
  caseNumber: z.string().optional(),
});

const skuList = (value: unknown) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : []);

const StockCount = z.object({ sku: z.string().min(1), warehouseId: z.string().min(1), onHand: z.number().int().min(0).max(1_000_000_000), reserved: z.number().int().min(0).max(1_000_000_000).optional() });

/** Availability per SKU and warehouse, stock reservations, and list prices; every stock change is pushed to the stock feed. */
export function inventoryRoutes(app: FastifyInstance, ctx: SystemContext<CloudErpState>, stockFeed: StockFeed): void {
  const state = () => ctx.store.data;
  const changed = (sku: string, warehouseId: string) => {
    const stock = state().stock[stockKey(sku, warehouseId)];
    stockFeed.changed(sku, warehouseId, stock, stock.reserved);
  };

  // A goods receipt or a stock count: on-hand becomes what was counted; reservations stay unless given (never above on hand), e.g. to take a SKU out of stock.
  app.post('/__sandbox/erp/stock', async (request, reply) => {
    const input = StockCount.safeParse(request.body);
    if (!input.success) return sendCloudError(reply, 400, 'VALIDATION_ERROR', input.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const { sku, warehouseId, onHand, reserved } = input.data;
    if (!state().products[sku]) return sendCloudError(reply, 404, 'SKU_NOT_FOUND', `sku ${sku} does not exist`);
    if (!state().warehouses.includes(warehouseId)) return sendCloudError(reply, 404, 'WAREHOUSE_NOT_FOUND', `warehouse ${warehouseId} does not exist`);
    const stock = (state().stock[stockKey(sku, warehouseId)] ??= { sku, warehouseId, onHand: 0, reserved: 0 });
    stock.onHand = onHand;
    if (reserved !== undefined) stock.reserved = Math.min(onHand, reserved);
    changed(sku, warehouseId);
    ctx.store.changed();
    ctx.record({ kind: 'stock.counted', ref: stockKey(sku, warehouseId), data: { onHand, reserved: stock.reserved } });
    return structuredClone(stock);
  });

  app.get('/api/v2/inventory/availability', async (request, reply) => {
    const { skus, warehouseId } = request.query as { skus?: string; warehouseId?: string };
    const wanted = skuList(skus);
    if (!wanted.length) return sendCloudError(reply, 400, 'VALIDATION_ERROR', 'skus is required (comma separated)');
    if (warehouseId && !state().warehouses.includes(warehouseId)) return sendCloudError(reply, 404, 'WAREHOUSE_NOT_FOUND', `warehouse ${warehouseId} does not exist`);
    const warehouses = warehouseId ? [warehouseId] : state().warehouses;
    const data = wanted.flatMap((sku) =>
      warehouses
        .map((w) => state().stock[stockKey(sku, w)])
        .filter((s) => s !== undefined)
        .map((s) => ({ sku: s.sku, warehouseId: s.warehouseId, onHand: s.onHand, reserved: s.reserved, available: s.onHand - s.reserved })),
    );
    return { data, unknownSkus: wanted.filter((sku) => !state().products[sku]) };
  });

  app.post('/api/v2/reservations', async (request, reply) =>
    ctx.idempotent(request, reply, () => {
      const input = ReservationInput.safeParse(request.body);
      if (!input.success) return validationError(input.error);
      const { warehouseId, lines } = input.data;
      if (!state().warehouses.includes(warehouseId)) return reject(422, 'WAREHOUSE_NOT_FOUND', `warehouse ${warehouseId} does not exist`);
      for (const line of lines) {
        const stock = state().stock[stockKey(line.sku, warehouseId)];
        if (!stock) return reject(422, 'SKU_NOT_FOUND', `sku ${line.sku} is not stocked in ${warehouseId}`);
        const available = stock.onHand - stock.reserved;
        if (available < line.qty) {
          return reject(409, 'INSUFFICIENT_STOCK', `only ${available} of ${line.sku} available in ${warehouseId}`, { sku: line.sku, warehouseId, requested: line.qty, available });
        }
      }
      for (const line of lines) state().stock[stockKey(line.sku, warehouseId)].reserved += line.qty;
      for (const sku of new Set(lines.map((l) => l.sku))) changed(sku, warehouseId);
      const id = `RSV-${String(nextNumber(state(), 'reservation')).padStart(6, '0')}`;
      const reservation = { id, ...input.data, status: 'ACTIVE' as const, createdAt: new Date().toISOString() };
      state().reservations[id] = reservation;
      ctx.store.changed();
      ctx.record({ kind: 'reservation.created', ref: id, idempotencyKey: request.headers['idempotency-key'] as string | undefined, data: { warehouseId, lines } });
      return { status: 201, body: structuredClone(reservation) };
    }),
  );

  app.post<{ Params: { id: string } }>('/api/v2/reservations/:id/release', async (request, reply) =>
    ctx.idempotent(request, reply, () => {
      const reservation = state().reservations[request.params.id];
      if (!reservation) return reject(404, 'RESERVATION_NOT_FOUND', `reservation ${request.params.id} does not exist`);
      // Its stock has left the building: releasing it would count stock that is no longer there.
      if (reservation.status === 'CONSUMED') return reject(409, 'RESERVATION_CONSUMED', `reservation ${reservation.id} was consumed by a shipment`);
      // Releasing twice is a no-op: the stock came back the first time.
      if (reservation.status === 'ACTIVE') {
        for (const line of reservation.lines) {
          const stock = state().stock[stockKey(line.sku, reservation.warehouseId)];
          stock.reserved = Math.max(0, stock.reserved - line.qty);
        }
        for (const sku of new Set(reservation.lines.map((l) => l.sku))) changed(sku, reservation.warehouseId);
        reservation.status = 'RELEASED';
        reservation.releasedAt = new Date().toISOString();
        ctx.store.changed();
        ctx.record({ kind: 'reservation.released', ref: reservation.id, idempotencyKey: request.headers['idempotency-key'] as string | undefined });
      }
      return { status: 200, body: structuredClone(reservation) };
    }),
  );

  // The reserved stock shipped: it leaves on-hand and reserved together, so availability stays what it was.
  app.post<{ Params: { id: string } }>('/api/v2/reservations/:id/consume', async (request, reply) =>
    ctx.idempotent(request, reply, () => {
      const reservation = state().reservations[request.params.id];
      if (!reservation) return reject(404, 'RESERVATION_NOT_FOUND', `reservation ${request.params.id} does not exist`);
      if (reservation.status === 'RELEASED') return reject(409, 'RESERVATION_RELEASED', `reservation ${reservation.id} was released; its stock is no longer held`);
      // Consuming twice is a no-op: the stock left the first time.
      if (reservation.status === 'ACTIVE') {
        for (const line of reservation.lines) {
          const stock = state().stock[stockKey(line.sku, reservation.warehouseId)];
          stock.onHand = Math.max(0, stock.onHand - line.qty);
          stock.reserved = Math.max(0, stock.reserved - line.qty);
        }
        for (const sku of new Set(reservation.lines.map((l) => l.sku))) changed(sku, reservation.warehouseId);
        reservation.status = 'CONSUMED';
        reservation.consumedAt = new Date().toISOString();
        ctx.store.changed();
        ctx.record({ kind: 'reservation.consumed', ref: reservation.id, idempotencyKey: request.headers['idempotency-key'] as string | undefined, data: { warehouseId: reservation.warehouseId, lines: reservation.lines } });
      }
      return { status: 200, body: structuredClone(reservation) };
    }),
  );

  app.get('/api/v2/prices', async (request, reply) => {
    const wanted = skuList((request.query as { skus?: string }).skus);
    if (!wanted.length) return sendCloudError(reply, 400, 'VALIDATION_ERROR', 'skus is required (comma separated)');
    const data = wanted.filter((sku) => state().products[sku]).map((sku) => state().products[sku]);
    return { data, unknownSkus: wanted.filter((sku) => !state().products[sku]) };
  });
}
