import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SystemContext } from '../../core/system';
import { stockKey, type ReturnReceiptRecord, type WarehouseState } from './state';
import { sendWmsError, wmsErrorBody } from './wire';

const ReceiptBody = z.object({
  rmaNumber: z.string().min(1),
  warehouseId: z.string().min(1).optional(),
  condition: z.enum(['new', 'opened', 'damaged', 'defective']),
  lines: z.array(z.object({ sku: z.string().min(1), quantity: z.number().int().positive() })).min(1).max(200),
});

/** Returned goods arriving at the dock against an RMA; sellable ones go back into stock. */
export function returnRoutes(app: FastifyInstance, ctx: SystemContext<WarehouseState>): void {
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
