import type { Payment, PaymentStatus } from '../../domain/payment';
import { RefundReasonSchema, type Refund, type RefundStatus } from '../../domain/refund';
import type { StripePaymentIntent, StripeRefund } from './stripe-schemas';

const isoFromUnix = (seconds: number) => new Date(seconds * 1000).toISOString();

const PAYMENT_STATUS: Record<string, PaymentStatus> = {
  succeeded: 'captured',
  requires_capture: 'authorized',
  processing: 'processing',
  canceled: 'cancelled',
  requires_payment_method: 'failed',
  requires_confirmation: 'incomplete',
  requires_action: 'incomplete',
};

const REFUND_STATUS: Record<string, RefundStatus> = {
  pending: 'pending',
  succeeded: 'succeeded',
  failed: 'failed',
  canceled: 'cancelled',
  requires_action: 'requires_action',
};

export function toPayment(pi: StripePaymentIntent): Payment {
  const currency = pi.currency.toUpperCase();
  const charge = typeof pi.latest_charge === 'object' ? pi.latest_charge : undefined;
  const balance = charge && typeof charge.balance_transaction === 'object' ? charge.balance_transaction : undefined;
  const refunded = charge?.amount_refunded ?? 0;
  return {
    paymentId: pi.id,
    orderNumber: pi.metadata.order_number,
    customerId: pi.metadata.customer_id,
    status: PAYMENT_STATUS[pi.status] ?? 'incomplete',
    method: charge?.payment_method_details?.type,
    amount: { amount: pi.amount, currency },
    captured: { amount: pi.amount_received, currency },
    refunded: { amount: refunded, currency },
    refundable: { amount: Math.max(0, pi.amount_received - refunded), currency },
    capturedAt: isoFromUnix(charge?.created ?? pi.created),
    settlement: balance?.status === 'available' ? { status: 'settled', settledAt: isoFromUnix(balance.available_on) } : { status: 'pending' },
  };
}

export function toRefund(r: StripeRefund): Refund {
  const reason = RefundReasonSchema.safeParse(r.reason);
  return {
    refundId: r.id,
    paymentId: r.payment_intent ?? '',
    amount: { amount: r.amount, currency: r.currency.toUpperCase() },
    status: REFUND_STATUS[r.status] ?? 'pending',
    reason: reason.success ? reason.data : undefined,
    createdAt: isoFromUnix(r.created),
    metadata: r.metadata ?? {},
  };
}
