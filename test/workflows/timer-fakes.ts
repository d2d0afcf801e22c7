import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ErpActivities, PaymentsActivities, SalesforceActivities, WarehouseActivities } from '../../src/activities';
import { createPolicyActivities } from '../../src/activities/policy';
import { loadResolutionPolicy } from '../../src/config/policy';
import type { CaseReason } from '../../src/domain/case';
import type { FulfilmentRelease } from '../../src/domain/fulfilment';
import type { Order } from '../../src/domain/order';
import type { SystemQueue } from '../../src/workers/workers';

/**
 * Stand-in systems for the time-skipping tests (the SDK's test mode for timer logic): plain functions
 * registered under the activity names, recording every call with the server's (skipped) clock. The
 * resolution policy is the real one, loaded as production loads it with no overrides.
 */
export interface FakeCall {
  name: string;
  args: unknown[];
  /** When the server scheduled the call: workflow time, not wall time. */
  at: number;
}

export const supervisorId = '005000000000SUP';
const caseId = '500000000000001AAA';

export interface FakeWorldOptions {
  caseNumber: string;
  reason: CaseReason;
  /** Order total in USD cents; above the production threshold (250.00) a refund needs approval. */
  total?: number;
  /** The server's clock (workflow time runs ahead of the wall clock once a test skipped time). */
  now: number;
  /** The warehouse release's status when looked up (the overdue check). */
  releaseStatus?: FulfilmentRelease['status'];
}

export function fakeWorld(options: FakeWorldOptions) {
  const calls: FakeCall[] = [];
  const record = (name: string, args: unknown[]) => calls.push({ name, args, at: Context.current().info.currentAttemptScheduledTimestampMs });
  const total = options.total ?? 30_000;
  const now = new Date(options.now).toISOString();
  const orderNumber = `SO-${options.caseNumber}`;
  const usd = (amount: number) => ({ amount, currency: 'USD' });
  const order: Order = {
    orderNumber,
    customerId: 'CUST-1',
    storeId: '114',
    region: 'us-east',
    channel: 'web',
    status: 'delivered',
    // An hour before the case, inside every refund window.
    placedAt: new Date(options.now - 3_600_000).toISOString(),
    updatedAt: now,
    version: 3,
    lines: [{ lineNumber: 1, sku: 'SKU-1', quantity: 1, unitPrice: usd(total) }],
    total: usd(total),
    paymentId: 'pi_1',
  };
  const payment = { paymentId: 'pi_1', orderNumber, status: 'captured' as const, amount: usd(total), captured: usd(total), refunded: usd(0), refundable: usd(total), capturedAt: now, settlement: { status: 'settled' as const } };
  let release: FulfilmentRelease | undefined;

  const salesforce = {
    async getCaseByNumber(caseNumber: string) {
      record('getCaseByNumber', [caseNumber]);
      if (caseNumber !== options.caseNumber) throw ApplicationFailure.create({ type: 'NotFoundError', message: `no case ${caseNumber}`, nonRetryable: true });
      return { caseId, caseNumber, status: 'New', reason: options.reason, orderNumber, customerId: order.customerId, storeId: order.storeId, region: order.region };
    },
    async getSalesforceUser(userId: string) {
      record('getSalesforceUser', [userId]);
      return { userId, name: 'Sam Stone', active: true, refundApprovalLimit: usd(1_000_000) };
    },
    async updateSalesforceCase(input) {
      record('updateSalesforceCase', [input]);
    },
    async addSalesforceCaseComment(input) {
      record('addSalesforceCaseComment', [input]);
      return { commentId: `cc-${calls.length}`, created: true };
    },
    async createSalesforceEscalationTask(input) {
      record('createSalesforceEscalationTask', [input]);
      return { taskId: `task-${calls.length}`, created: true };
    },
    async publishCaseProcessStatus(input) {
      record('publishCaseProcessStatus', [input]);
      return { replayId: `replay-${calls.length}` };
    },
    /** A milestone in one call; its parts are recorded under their own names too, as the real activity makes them. */
    async recordCaseMilestone(input) {
      record('recordCaseMilestone', [input]);
      if (input.comment) record('addSalesforceCaseComment', [{ caseId: input.caseId, ...input.comment }]);
      if (input.update) record('updateSalesforceCase', [{ caseId: input.caseId, update: input.update.change }]);
      record('publishCaseProcessStatus', [input.status]);
      return {};
    },
    async upsertSalesforceAdjustment(adjustment) {
      record('upsertSalesforceAdjustment', [adjustment]);
      return { recordId: 'a01000000000001', created: true };
    },
    async upsertSalesforceOrderStatus(update) {
      record('upsertSalesforceOrderStatus', [update]);
      return { orderId: '801000000000001', created: false };
    },
  } satisfies Partial<SalesforceActivities>;

  const erp = {
    async getOrder(number: string) {
      record('getOrder', [number]);
      return { ...order, orderNumber: number };
    },
    async getOrderWithStock(number: string) {
      record('getOrderWithStock', [number]);
      return { order: { ...order, orderNumber: number }, stock: order.lines.map((l) => ({ sku: l.sku, warehouseId: 'WH-EAST', onHand: 10, reserved: 0, available: 10 })) };
    },
    async consumeReservation(reservationId: string, idempotencyKey: string) {
      record('consumeReservation', [reservationId, idempotencyKey]);
      return { reservationId, warehouseId: 'WH-EAST', lines: [{ sku: 'SKU-1', quantity: 1 }], orderNumber, caseNumber: options.caseNumber, status: 'consumed' as const, createdAt: now, consumedAt: now };
    },
    async getStockAvailability(skus: string[]) {
      record('getStockAvailability', [skus]);
      return skus.map((sku) => ({ sku, warehouseId: 'WH-EAST', onHand: 10, reserved: 0, available: 10 }));
    },
    async reserveStock(request, idempotencyKey: string) {
      record('reserveStock', [request, idempotencyKey]);
      return { reservationId: 'RSV-1', warehouseId: request.warehouseId, lines: request.lines, orderNumber: request.orderNumber, caseNumber: request.caseNumber, status: 'active' as const, createdAt: now };
    },
    async createReplacementOrder(request, idempotencyKey: string) {
      record('createReplacementOrder', [request, idempotencyKey]);
      return { replacementOrderId: 'RO-1', orderNumber: `${orderNumber}-R1`, originalOrderNumber: orderNumber, warehouseId: request.warehouseId, lines: request.lines, reservationId: request.reservationId, status: 'open' as const, createdAt: now };
    },
    async draftCreditMemo(request, idempotencyKey: string) {
      record('draftCreditMemo', [request, idempotencyKey]);
      return { creditMemoId: 'cloud:CM-1', system: 'cloud' as const, number: 'CM-1', customerId: request.customerId, orderNumber: request.orderNumber, amount: request.amount, status: 'draft' as const, businessDate: request.businessDate ?? now.slice(0, 10) };
    },
    async postCreditMemo(creditMemoId: string, idempotencyKey: string) {
      record('postCreditMemo', [creditMemoId, idempotencyKey]);
      return { creditMemoId, system: 'cloud' as const, number: 'CM-1', customerId: order.customerId, orderNumber, amount: order.total, status: 'posted' as const, businessDate: now.slice(0, 10) };
    },
  } satisfies Partial<ErpActivities>;

  const payments = {
    async getPayment(paymentId: string) {
      record('getPayment', [paymentId]);
      return payment;
    },
    async refundPayment(input) {
      record('refundPayment', [input]);
      return { refundId: 're_1', paymentId: input.paymentId, amount: input.amount, status: 'succeeded' as const, createdAt: now, metadata: input.metadata ?? {} };
    },
  } satisfies Partial<PaymentsActivities>;

  const warehouse = {
    async getShipmentsForOrder(number: string) {
      record('getShipmentsForOrder', [number]);
      return [];
    },
    async getShipmentsWithTracking(number: string) {
      record('getShipmentsWithTracking', [number]);
      return [];
    },
    async createWarehouseRelease(input) {
      record('createWarehouseRelease', [input]);
      const created: FulfilmentRelease = { releaseId: 'REL-1', orderNumber: input.release.replacementOrderNumber ?? orderNumber, kind: 'replacement', warehouseId: input.release.warehouseId, lines: input.release.lines, status: 'released', createdAt: now };
      release = created;
      return created;
    },
    async getWarehouseRelease(releaseId: string) {
      record('getWarehouseRelease', [releaseId]);
      if (!release) throw ApplicationFailure.create({ type: 'NotFoundError', message: `no release ${releaseId}`, nonRetryable: true });
      return { ...release, status: options.releaseStatus ?? release.status };
    },
  } satisfies Partial<WarehouseActivities>;

  const activities: Record<SystemQueue, object> & { orchestration: object } = {
    salesforce,
    erp,
    payments,
    warehouse,
    orchestration: createPolicyActivities(loadResolutionPolicy({})),
  };
  return {
    caseNumber: options.caseNumber,
    activities,
    calls,
    order,
    caseId,
    /** The calls of one activity, in the order they were made. */
    callsOf: (name: string) => calls.filter((c) => c.name === name),
  };
}

export type FakeWorld = ReturnType<typeof fakeWorld>;
