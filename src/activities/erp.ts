import type { ZodType } from 'zod';
import type { ErpConnector } from '../connectors/erp';
import { BusinessDateSchema, DraftCreditMemoRequestSchema, type BusinessDate, type DraftCreditMemoRequest } from '../domain/credit-memo';
import { isDownstreamError, NonRetryableDownstreamError } from '../domain/errors';
import { ReserveStockRequestSchema, type ReserveStockRequest } from '../domain/inventory';
import { ChangedOrdersQuerySchema, ReplacementOrderRequestSchema, type ChangedOrdersQuery, type ReplacementOrderRequest } from '../domain/order';
import { ReturnAuthorizationRequestSchema, type ReturnAuthorizationRequest } from '../domain/return-authorization';
import { asActivity } from './failures';

/** A malformed request from a workflow is a bug, not an outage: fail it at once, without calling the ERP. */
function valid<T>(operation: string, schema: ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new NonRetryableDownstreamError('ValidationError', {
    system: 'erp',
    operation,
    code: 'INVALID_INPUT',
    message: parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'} ${i.message}`).join('; '),
  });
}

/**
 * ERP activities for the sys-erp queue. Mutating ones take the step's idempotency key (derived
 * by the workflow from its id and the step name), so retries never reserve, credit or cancel twice.
 */
export function createErpActivities(erp: ErpConnector) {
  return {
    async getOrder(orderNumber: string) {
      return asActivity(() => erp.getOrder(orderNumber));
    },
    /**
     * A case's order and the stock of its SKUs in one call (one billable action instead of two). The order is
     * essential: its failure fails the call; a stock read the ERP refuses answers `stockRefused` instead,
     * and a retryable one fails the call, so its retry reads both again (reads: nothing to undo).
     */
    async getOrderWithStock(orderNumber: string) {
      return asActivity(async () => {
        const order = await erp.getOrder(orderNumber);
        try {
          return { order, stock: await erp.getAvailability(order.lines.map((l) => l.sku)) };
        } catch (err) {
          if (isDownstreamError(err) && !err.retryable) return { order, stockRefused: { type: err.type, message: err.message } };
          throw err;
        }
      });
    },
    async listChangedErpOrders(query: ChangedOrdersQuery) {
      return asActivity(async () => erp.listChangedOrders(valid('listChangedOrders', ChangedOrdersQuerySchema, query)));
    },
    async getStockAvailability(skus: string[], warehouseId?: string) {
      return asActivity(() => erp.getAvailability(skus, warehouseId));
    },
    async getErpPrices(skus: string[]) {
      return asActivity(() => erp.getPrices(skus));
    },
    async reserveStock(request: ReserveStockRequest, idempotencyKey: string) {
      return asActivity(async () => erp.reserveStock(valid('reserveStock', ReserveStockRequestSchema, request), idempotencyKey));
    },
    async consumeReservation(reservationId: string, idempotencyKey: string) {
      return asActivity(() => erp.consumeReservation(reservationId, idempotencyKey));
    },
    async releaseReservation(reservationId: string, idempotencyKey: string) {
      return asActivity(() => erp.releaseReservation(reservationId, idempotencyKey));
    },
    async createReplacementOrder(request: ReplacementOrderRequest, idempotencyKey: string) {
      return asActivity(async () => erp.createReplacementOrder(valid('createReplacementOrder', ReplacementOrderRequestSchema, request), idempotencyKey));
    },
    async cancelReplacementOrder(replacementOrderId: string, idempotencyKey: string) {
      return asActivity(() => erp.cancelReplacementOrder(replacementOrderId, idempotencyKey));
    },
    async createReturnAuthorization(request: ReturnAuthorizationRequest, idempotencyKey: string) {
      return asActivity(async () => erp.createReturnAuthorization(valid('createReturnAuthorization', ReturnAuthorizationRequestSchema, request), idempotencyKey));
    },
    async cancelReturnAuthorization(returnAuthorizationId: string, idempotencyKey: string) {
      return asActivity(() => erp.cancelReturnAuthorization(returnAuthorizationId, idempotencyKey));
    },
    async draftCreditMemo(request: DraftCreditMemoRequest, idempotencyKey: string) {
      return asActivity(async () => erp.draftCreditMemo(valid('draftCreditMemo', DraftCreditMemoRequestSchema, request), idempotencyKey));
    },
    async postCreditMemo(creditMemoId: string, idempotencyKey: string) {
      return asActivity(() => erp.postCreditMemo(creditMemoId, idempotencyKey));
    },
    async voidCreditMemo(creditMemoId: string, idempotencyKey: string) {
      return asActivity(() => erp.voidCreditMemo(creditMemoId, idempotencyKey));
    },
    async getCreditMemo(creditMemoId: string) {
      return asActivity(() => erp.getCreditMemo(creditMemoId));
    },
    async listCreditMemos(businessDate: BusinessDate) {
      return asActivity(async () => erp.listCreditMemos(valid('listCreditMemos', BusinessDateSchema, businessDate)));
    },
    /** Both ERPs' memos of the date (reconciliation); a connector without the routing asks its one ERP. */
    async listCreditMemosAllErps(businessDate: BusinessDate) {
      return asActivity(async () => {
        const date = valid('listCreditMemosAllErps', BusinessDateSchema, businessDate);
        return erp.listCreditMemosAllErps ? erp.listCreditMemosAllErps(date) : erp.listCreditMemos(date);
      });
    },
    async listErpLedgerEntries(businessDate: BusinessDate) {
      return asActivity(async () => erp.listLedgerEntries(valid('listLedgerEntries', BusinessDateSchema, businessDate)));
    },
  };
}

export type ErpActivities = ReturnType<typeof createErpActivities>;
