import type { FastifyInstance } from 'fastify';
import type { SystemContext } from '../../core/system';
import { refundedAmount, type PaymentIntentRecord, type PaymentsState } from './state';
import { nestQuery, sendStripeError } from './stripe-wire';

function expansions(query: Record<string, unknown>): Set<string> {
  const expand = nestQuery(query).expand;
  return new Set((Array.isArray(expand) ? expand : expand === undefined ? [] : [expand]).map(String));
}

function serializeCharge(state: PaymentsState, pi: PaymentIntentRecord, expandBalance: boolean) {
  const refunded = refundedAmount(state, pi.id);
  return {
    id: pi.chargeId,
    object: 'charge' as const,
    amount: pi.amount,
    amount_captured: pi.amount,
    amount_refunded: refunded,
    refunded: refunded >= pi.amount,
    captured: true,
    paid: true,
    status: 'succeeded',
    currency: pi.currency,
    created: pi.created,
    payment_intent: pi.id,
    payment_method_details: { type: pi.method },
    // Settlement: the balance transaction turns "available" once the funds reached the merchant.
    balance_transaction: expandBalance
      ? {
          id: pi.balanceTransactionId,
          object: 'balance_transaction' as const,
          amount: pi.amount,
          currency: pi.currency,
          status: pi.settled ? 'available' : 'pending',
          available_on: pi.availableOn,
          created: pi.created,
          type: 'charge',
        }
      : pi.balanceTransactionId,
  };
}

export function paymentIntentRoutes(app: FastifyInstance, ctx: SystemContext<PaymentsState>): void {
  app.get<{ Params: { id: string } }>('/v1/payment_intents/:id', async (request, reply) => {
    const pi = ctx.store.data.paymentIntents[request.params.id];
    if (!pi) {
      return sendStripeError(reply, 404, { type: 'invalid_request_error', code: 'resource_missing', param: 'intent', message: `No such payment_intent: '${request.params.id}'` });
    }
    const expand = expansions(request.query as Record<string, unknown>);
    const expandCharge = expand.has('latest_charge') || expand.has('latest_charge.balance_transaction');
    return {
      id: pi.id,
      object: 'payment_intent',
      amount: pi.amount,
      amount_capturable: 0,
      amount_received: pi.amount,
      capture_method: 'automatic',
      currency: pi.currency,
      created: pi.created,
      livemode: false,
      status: pi.status,
      payment_method_types: [pi.method],
      latest_charge: expandCharge ? serializeCharge(ctx.store.data, pi, expand.has('latest_charge.balance_transaction')) : pi.chargeId,
      metadata: pi.metadata,
    };
  });
}
