import type { PaymentsConnector } from '../connectors/payments';
import type { Money } from '../domain/money';
import type { RefundReason, RefundWindow } from '../domain/refund';
import { asActivity } from './failures';

export interface RefundPaymentInput {
  paymentId: string;
  amount: Money;
  reason?: RefundReason;
  /** From the workflow id and the step (idempotencyKey(workflowId, 'refund')), never the attempt. */
  idempotencyKey: string;
  metadata?: Record<string, string>;
}

/** Activities of the payments queue: the payment's state and the refund pivot. */
export function createPaymentsActivities(payments: PaymentsConnector) {
  return {
    async getPayment(paymentId: string) {
      return asActivity(() => payments.getPayment(paymentId));
    },
    async refundPayment(input: RefundPaymentInput) {
      return asActivity(() => payments.createRefund(input.paymentId, input.amount, input.reason ?? 'requested_by_customer', input.idempotencyKey, input.metadata ?? {}));
    },
    async getPaymentRefund(refundId: string) {
      return asActivity(() => payments.getRefund(refundId));
    },
    async listPaymentRefunds(window: RefundWindow) {
      return asActivity(() => payments.listRefunds(window));
    },
    async cancelPaymentRefund(input: { refundId: string; idempotencyKey: string }) {
      return asActivity(() => payments.cancelRefund(input.refundId, input.idempotencyKey));
    },
  };
}

export type PaymentsActivities = ReturnType<typeof createPaymentsActivities>;
