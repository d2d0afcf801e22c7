import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SystemContext } from '../../core/system';
import { reject, sendCloudError, validationError } from './errors';
import { InvalidCursorError, pageOf } from './paging';
import { decimal, exceedsRemaining, minor, nextNumber, type CloudCreditMemo, type CloudErpState } from './state';

const BusinessDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const CreditMemoInput = z.object({
  customerNumber: z.string().min(1),
  orderNumber: z.string().min(1),
  amount: z.string().regex(/^\d+(\.\d{1,2})?$/, 'decimal string such as "12.34"').refine((a) => minor(a) > 0, 'must be positive'),
  currency: z.string().regex(/^[A-Z]{3}$/),
  reason: z.string().min(1),
  reference: z.string().optional(),
  businessDate: BusinessDate.optional(),
  lines: z.array(z.object({ lineNo: z.number().int().positive(), qty: z.number().int().positive() })).min(1).optional(),
});
const ListQuery = z.object({
  businessDate: BusinessDate,
  pageSize: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().optional(),
});

// Double entry for a customer credit: sales returns up, receivables down.
const SALES_RETURNS = '4100-SALES-RETURNS';
const RECEIVABLES = '1200-ACCOUNTS-RECEIVABLE';

/** Credit memos (draft → posted → void) and the general ledger entries posting writes. */
export function financeRoutes(app: FastifyInstance, ctx: SystemContext<CloudErpState>): void {
  const state = () => ctx.store.data;
  const keyOf = (headers: Record<string, unknown>) => headers['idempotency-key'] as string | undefined;

  const writeLedger = (memo: CloudCreditMemo, reversal: boolean) => {
    const postedAt = new Date().toISOString();
    const amount = decimal(minor(memo.amount));
    const sides: [string, 'DEBIT' | 'CREDIT'][] = [
      [SALES_RETURNS, reversal ? 'CREDIT' : 'DEBIT'],
      [RECEIVABLES, reversal ? 'DEBIT' : 'CREDIT'],
    ];
    for (const [account, direction] of sides) {
      const entryId = `GL-${String(nextNumber(state(), 'ledger')).padStart(8, '0')}`;
      state().ledgerEntries.push({ entryId, account, direction, amount, currency: memo.currency, reference: memo.id, businessDate: memo.businessDate, postedAt });
    }
  };

  const list = <T>(request: { url: string; query: unknown }, reply: Parameters<typeof sendCloudError>[0], items: (date: string) => T[], keyOfItem: (item: T) => string) => {
    const q = ListQuery.safeParse(request.query);
    if (!q.success) return sendCloudError(reply, 400, 'VALIDATION_ERROR', 'businessDate (YYYY-MM-DD) is required; pageSize 1..500');
    try {
      return pageOf(items(q.data.businessDate), keyOfItem, q.data.pageSize, q.data.cursor, () => ctx.faults.repeatsCursor('GET', request.url.split('?')[0]));
    } catch (err) {
      if (err instanceof InvalidCursorError) return sendCloudError(reply, 400, 'INVALID_CURSOR', err.message);
      throw err;
    }
  };

  app.post('/api/v2/credit-memos', async (request, reply) =>
    ctx.idempotent(request, reply, () => {
      const input = CreditMemoInput.safeParse(request.body);
      if (!input.success) return validationError(input.error);
      if (input.data.lines) {
        // Credited lines count against what is left of them on the order: a line is never credited twice.
        const order = state().orders[input.data.orderNumber];
        if (!order) return reject(404, 'ORDER_NOT_FOUND', `order ${input.data.orderNumber} does not exist`);
        const excess = exceedsRemaining(state(), order, input.data.lines);
        if (excess) return reject(409, 'QUANTITY_EXCEEDS_REMAINING', excess.message, { lineNo: excess.lineNo, remaining: excess.remaining });
      }
      const now = new Date().toISOString();
      const id = `CM-${String(nextNumber(state(), 'creditMemo')).padStart(6, '0')}`;
      const memo: CloudCreditMemo = { id, ...input.data, amount: decimal(minor(input.data.amount)), businessDate: input.data.businessDate ?? now.slice(0, 10), status: 'DRAFT', createdAt: now };
      state().creditMemos[id] = memo;
      ctx.store.changed();
      ctx.record({ kind: 'creditMemo.drafted', ref: id, idempotencyKey: keyOf(request.headers), data: { amount: memo.amount, currency: memo.currency, orderNumber: memo.orderNumber } });
      return { status: 201, body: structuredClone(memo) };
    }),
  );

  app.post<{ Params: { id: string } }>('/api/v2/credit-memos/:id/post', async (request, reply) =>
    ctx.idempotent(request, reply, () => {
      const memo = state().creditMemos[request.params.id];
      if (!memo) return reject(404, 'CREDIT_MEMO_NOT_FOUND', `credit memo ${request.params.id} does not exist`);
      if (memo.status === 'VOID') return reject(409, 'INVALID_STATE', `credit memo ${memo.id} is void and cannot be posted`, { status: memo.status });
      if (memo.status === 'DRAFT') {
        memo.status = 'POSTED';
        memo.postedAt = new Date().toISOString();
        writeLedger(memo, false);
        ctx.store.changed();
        ctx.record({ kind: 'creditMemo.posted', ref: memo.id, idempotencyKey: keyOf(request.headers), data: { amount: memo.amount, currency: memo.currency } });
      }
      return { status: 200, body: structuredClone(memo) };
    }),
  );

  app.post<{ Params: { id: string } }>('/api/v2/credit-memos/:id/void', async (request, reply) =>
    ctx.idempotent(request, reply, () => {
      const memo = state().creditMemos[request.params.id];
      if (!memo) return reject(404, 'CREDIT_MEMO_NOT_FOUND', `credit memo ${request.params.id} does not exist`);
      if (memo.status !== 'VOID') {
        if (memo.status === 'POSTED') writeLedger(memo, true);
        memo.status = 'VOID';
        memo.voidedAt = new Date().toISOString();
        ctx.store.changed();
        ctx.record({ kind: 'creditMemo.voided', ref: memo.id, idempotencyKey: keyOf(request.headers) });
      }
      return { status: 200, body: structuredClone(memo) };
    }),
  );

  app.get<{ Params: { id: string } }>('/api/v2/credit-memos/:id', async (request, reply) => {
    const memo = state().creditMemos[request.params.id];
    return memo ?? sendCloudError(reply, 404, 'CREDIT_MEMO_NOT_FOUND', `credit memo ${request.params.id} does not exist`);
  });

  app.get('/api/v2/credit-memos', async (request, reply) =>
    list(request, reply, (date) => Object.values(state().creditMemos).filter((m) => m.businessDate === date), (m) => m.id),
  );

  app.get('/api/v2/ledger-entries', async (request, reply) =>
    list(request, reply, (date) => state().ledgerEntries.filter((e) => e.businessDate === date), (e) => e.entryId),
  );
}

