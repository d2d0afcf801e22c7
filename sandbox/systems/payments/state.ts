import type { World } from '../../seed/world';

/** A captured payment, kept the way Stripe stores a PaymentIntent and its one charge. */
export interface PaymentIntentRecord {
  id: string;
  amount: number;
  /** Lower case, as Stripe writes currencies. */
  currency: string;
  status: 'succeeded';
  created: number;
  chargeId: string;
  balanceTransactionId: string;
  method: string;
  /** Unix seconds the funds become (or became) available in the balance. */
  availableOn: number;
  settled: boolean;
  metadata: Record<string, string>;
}

export interface RefundRecord {
  id: string;
  /** Creation order, for Stripe's newest-first list order when `created` ties. */
  seq: number;
  amount: number;
  currency: string;
  paymentIntent: string;
  charge: string;
  status: 'pending' | 'succeeded' | 'failed' | 'canceled' | 'requires_action';
  reason: string | null;
  created: number;
  metadata: Record<string, string>;
}

export interface PaymentsState {
  paymentIntents: Record<string, PaymentIntentRecord>;
  refunds: Record<string, RefundRecord>;
  refundSeq: number;
}

const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const TWO_DAYS_S = 2 * 86_400;

/** The world's payments become payment intents under the world's own paymentId, so every system agrees. */
export function seedPayments(world: World): PaymentsState {
  const paymentIntents: Record<string, PaymentIntentRecord> = {};
  for (const p of world.payments) {
    const suffix = p.paymentId.replace(/^pay_/, '');
    paymentIntents[p.paymentId] = {
      id: p.paymentId,
      amount: p.amount,
      currency: p.currency.toLowerCase(),
      status: 'succeeded',
      created: unix(p.capturedAt),
      chargeId: `ch_${suffix}`,
      balanceTransactionId: `txn_${suffix}`,
      method: p.method.replace('-', '_'),
      availableOn: p.settledAt ? unix(p.settledAt) : unix(p.capturedAt) + TWO_DAYS_S,
      settled: Boolean(p.settledAt),
      metadata: { order_number: p.orderNumber, customer_id: p.customerId },
    };
  }
  return { paymentIntents, refunds: {}, refundSeq: 0 };
}

/** Refunds that still hold money back from the charge (a cancelled or failed one gives it back). */
export function refundedAmount(state: PaymentsState, paymentIntentId: string): number {
  return Object.values(state.refunds)
    .filter((r) => r.paymentIntent === paymentIntentId && r.status !== 'canceled' && r.status !== 'failed')
    .reduce((sum, r) => sum + r.amount, 0);
}
