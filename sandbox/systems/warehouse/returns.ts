import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SystemContext } from '../../core/system';
import type { StockFeed } from '../shared/stock-feed';
import { stockKey, type ReturnReceiptRecord, type WarehouseState } from './state';
import { sendWmsError, wmsErrorBody } from './wire';

const ReceiptBody = z.object({
  rmaNumber: z.string().min(1),
  warehouseId: z.string().min(1).optional(),
  condition: z.enum(['new', 'opened', 'damaged', 'defective']),
  lines: z.array(z.object({ sku: z.string().min(1), quantity: z.number().int().positive() })).min(1).max(200),
});

const StockCount = z.object({ sku: z.string().min(1), warehouseId: z.string().min(1), onHand: z.number().int().min(0).max(1_000_000_000) });

/** Returned goods arriving at the dock against an RMA; sellable ones go back into stock. */
export function returnRoutes(app: FastifyInstance, ctx: SystemContext<WarehouseState>, stockFeed: StockFeed): void {
  // A cycle count: on-hand becomes what was counted (allocations stay).
  app.post('/__sandbox/warehouse/stock', async (request, reply) => {
    const input = StockCount.safeParse(request.body);
    if (!input.success) return sendWmsError(reply, 400, 'VALIDATION_FAILED', input.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const s = ctx.store.data;
    const { sku, warehouseId, onHand } = input.data;
    if (!s.warehouses[warehouseId]) return sendWmsError(reply, 404, 'UNKNOWN_WAREHOUSE', `warehouse ${warehouseId} is not operated by this WMS`);
    if (!s.skus.includes(sku)) return sendWmsError(reply, 404, 'UNKNOWN_SKU', `item ${sku} is not in the item master`);
    const stock = (s.stock[stockKey(warehouseId, sku)] ??= { onHand: 0, allocated: 0 });
    stock.onHand = onHand;
    stockFeed.changed(sku, warehouseId, stock, stock.allocated);
    ctx.store.changed();
    ctx.record({ kind: 'stock.counted', ref: stockKey(warehouseId, sku), data: { onHand } });
    return structuredClone(stock);
  });

  app.post('/wms/v1/return-receipts', async (request, reply) =>
    ctx.idempotent(request, reply, () => {
      const body = ReceiptBody.safeParse(request.body ?? {});
      if (!body.success) return { status: 400, body: { ...wmsErrorBody('VALIDATION_FAILED', 'rmaNumber, condition and lines {sku, quantity} are required'), details: body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) } };
      const s = ctx.store.data;
      const { rmaNumber, warehouseId, condition, lines } = body.data;
      if (warehouseId && !s.warehouses[warehouseId]) return { status: 422, body: wmsErrorBody('UNKNOWN_WAREHOUSE', `warehouse ${warehouseId} is not operated by this WMS`) };
      const unknown = lines.find((l) => !s.skus.includes(l.sku));
      if (unknown) return { status: 422, body: wmsErrorBody('UNKNOWN_SKU', `item ${unknown.sku} is not in the item master`) };
      const restocked = Boolean(warehouseId) && (condition === 'new' || condition === 'opened');
      if (restocked) {
        for (const l of lines) {
          const key = stockKey(warehouseId!, l.sku);
          s.stock[key] ??= { onHand: 0, allocated: 0 };
          s.stock[key].onHand += l.quantity;
        }
        for (const sku of new Set(lines.map((l) => l.sku))) {
          const stock = s.stock[stockKey(warehouseId!, sku)];
          stockFeed.changed(sku, warehouseId!, stock, stock.allocated);
        }
      }
      s.counters.receipt += 1;
      const receipt: ReturnReceiptRecord = { id: `RR-${String(s.counters.receipt).padStart(7, '0')}`, rmaNumber, warehouseId, condition, lines, receivedAt: new Date().toISOString(), restocked };
      s.returnReceipts[receipt.id] = receipt;
      ctx.store.changed();
      ctx.record({ kind: 'returnReceipt.created', ref: receipt.id, idempotencyKey: request.headers['idempotency-key'] as string | undefined, data: { rmaNumber, condition, restocked, lines } });
      return { status: 201, body: receipt };
    }),
  );

  app.get('/wms/v1/return-receipts', async (request, reply) => {
    const rmaNumber = (request.query as { rmaNumber?: string }).rmaNumber;
    if (!rmaNumber) return sendWmsError(reply, 400, 'VALIDATION_FAILED', 'rmaNumber is required');
    return { rmaNumber, receipts: Object.values(ctx.store.data.returnReceipts).filter((r) => r.rmaNumber === rmaNumber) };
  });
}
