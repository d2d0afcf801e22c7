import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SystemContext } from '../../core/system';
import { refundedAmount, type PaymentsState, type RefundRecord } from './state';
import { nestQuery, sendStripeError } from './stripe-wire';

const REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;
/** Stripe takes integers as form strings or JSON numbers. */
const integer = z.union([z.number().int(), z.string().regex(/^-?\d+$/).transform(Number)]);

const CreateRefundBody = z.object({
  payment_intent: z.string().optional(),
  charge: z.string().optional(),
  amount: z.unknown().optional(),
  reason: z.unknown().optional(),
  metadata: z.unknown().optional(),
});

export function serializeRefund(r: RefundRecord) {
  return {
    id: r.id,
    object: 'refund' as const,
    amount: r.amount,
    balance_transaction: r.status === 'succeeded' ? `txn_${r.id.slice(3)}` : null,
    charge: r.charge,
    created: r.created,
    currency: r.currency,
    metadata: r.metadata,
    payment_intent: r.paymentIntent,
    reason: r.reason,
    receipt_number: null,
    status: r.status,
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Simulated time at the card network inside the idempotency window (admin-set), so tests can race a key. */
export interface ProcessingDelay {
  ms: number;
  remaining?: number;
}

export function refundRoutes(app: FastifyInstance, ctx: SystemContext<PaymentsState>, delay: ProcessingDelay): void {
  const state = () => ctx.store.data;

  app.post('/v1/refunds', async (request, reply) =>
    ctx.idempotent(request, reply, async () => {
      if (delay.ms > 0 && (delay.remaining === undefined || delay.remaining > 0)) {
        if (delay.remaining !== undefined) delay.remaining -= 1;
        await sleep(delay.ms);
      }
      const body = CreateRefundBody.safeParse(request.body ?? {});
      if (!body.success) return invalid('Invalid request body');
      const { payment_intent: piParam, charge: chargeParam } = body.data;
      if (!piParam && !chargeParam) return invalid('You must pass either payment_intent or charge.', 'parameter_missing', 'payment_intent');
      const intent = piParam
        ? state().paymentIntents[piParam]
        : Object.values(state().paymentIntents).find((p) => p.chargeId === chargeParam);
      if (!intent) {
        const param = piParam ? 'payment_intent' : 'charge';
        return { status: 404, body: errorBody('invalid_request_error', `No such ${param}: '${piParam ?? chargeParam}'`, 'resource_missing', param) };
      }

      let metadata: Record<string, string> = {};
      if (body.data.metadata !== undefined && body.data.metadata !== '') {
        const parsed = z.record(z.string().max(40), z.union([z.string().max(500), z.number(), z.boolean()]).transform(String)).safeParse(body.data.metadata);
        if (!parsed.success || Object.keys(parsed.data).length > 50) return invalid('Invalid metadata: at most 50 keys of 40 characters, values up to 500 characters', undefined, 'metadata');
        metadata = parsed.data;
      }
      let reason: string | null = null;
      if (body.data.reason !== undefined && body.data.reason !== '') {
        if (!(REASONS as readonly unknown[]).includes(body.data.reason)) {
          return invalid('Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer', undefined, 'reason');
        }
        reason = body.data.reason as string;
      }

      const remaining = intent.amount - refundedAmount(state(), intent.id);
      let amount = remaining;
      if (body.data.amount !== undefined) {
        const parsed = integer.safeParse(body.data.amount);
        if (!parsed.success) return invalid(`Invalid integer: ${String(body.data.amount)}`, 'parameter_invalid_integer', 'amount');
        if (parsed.data <= 0) return invalid('This value must be greater than or equal to 1.', 'parameter_invalid_integer', 'amount');
        amount = parsed.data;
      }
      if (remaining <= 0) {
        return invalid(`Charge ${intent.chargeId} has already been refunded.`, 'charge_already_refunded');
      }
      if (amount > remaining) {
        return invalid(
          `Refund amount (${formatMinor(amount, intent.currency)}) is greater than unrefunded amount on charge (${formatMinor(remaining, intent.currency)})`,
          'amount_too_large',
          'amount',
        );
      }

      const s = state();
      s.refundSeq += 1;
      const refund: RefundRecord = {
        id: `re_${randomBytes(12).toString('hex')}`,
        seq: s.refundSeq,
        amount,
        currency: intent.currency,
        paymentIntent: intent.id,
        charge: intent.chargeId,
        // Cards refund at once; wallets and gift cards stay pending until the network confirms.
        status: intent.method === 'card' ? 'succeeded' : 'pending',
        reason,
        created: nowSeconds(),
        metadata,
      };
      s.refunds[refund.id] = refund;
      ctx.store.changed();
      ctx.record({
        kind: 'refund.created',
        ref: refund.id,
        idempotencyKey: request.headers['idempotency-key'] as string | undefined,
        data: { amount, currency: refund.currency, payment_intent: intent.id, status: refund.status, metadata },
      });
      return { status: 200, body: serializeRefund(refund) };
    }),
  );

  app.get<{ Params: { id: string } }>('/v1/refunds/:id', async (request, reply) => {
    const refund = state().refunds[request.params.id];
    if (!refund) return sendStripeError(reply, 404, { type: 'invalid_request_error', code: 'resource_missing', param: 'id', message: `No such refund: '${request.params.id}'` });
    return serializeRefund(refund);
  });

  app.post<{ Params: { id: string } }>('/v1/refunds/:id/cancel', async (request, reply) =>
    ctx.idempotent(request, reply, () => {
      const refund = state().refunds[request.params.id];
      if (!refund) return { status: 404, body: errorBody('invalid_request_error', `No such refund: '${request.params.id}'`, 'resource_missing', 'id') };
      if (refund.status !== 'pending' && refund.status !== 'requires_action') {
        return invalid(`Refund ${refund.id} cannot be canceled because it has a status of ${refund.status}.`);
      }
      refund.status = 'canceled';
      ctx.store.changed();
      ctx.record({
        kind: 'refund.cancelled',
        ref: refund.id,
        idempotencyKey: request.headers['idempotency-key'] as string | undefined,
        data: { amount: refund.amount, payment_intent: refund.paymentIntent },
      });
      return { status: 200, body: serializeRefund(refund) };
    }),
  );

  // Newest first, as Stripe lists; sorted once per new refund (an index, as the real system has), not once per page.
  let sorted: { of: PaymentsState['refunds']; seq: number; count: number; refunds: RefundRecord[] } | undefined;
  const newestFirst = (): RefundRecord[] => {
    const { refunds, refundSeq } = state();
    const count = Object.keys(refunds).length;
    if (!sorted || sorted.of !== refunds || sorted.seq !== refundSeq || sorted.count !== count) {
      sorted = { of: refunds, seq: refundSeq, count, refunds: Object.values(refunds).sort((a, b) => b.created - a.created || b.seq - a.seq) };
    }
    return sorted.refunds;
  };

  app.get('/v1/refunds', async (request, reply) => {
    const q = nestQuery(request.query as Record<string, unknown>);
    const limit = q.limit === undefined ? 10 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return sendStripeError(reply, 400, { type: 'invalid_request_error', code: 'parameter_invalid_integer', param: 'limit', message: 'This value must be between 1 and 100.' });
    }
    const created = parseCreatedFilter(q.created);
    if (created === 'invalid') {
      return sendStripeError(reply, 400, { type: 'invalid_request_error', code: 'parameter_invalid_integer', param: 'created', message: 'Invalid timestamp filter for created' });
    }
    const all = newestFirst()
      .filter((r) => (q.payment_intent === undefined || r.paymentIntent === q.payment_intent) && (q.charge === undefined || r.charge === q.charge))
      .filter((r) => created(r.created));
    // The repeat-cursor fault: starting_after ignored, the first page served again.
    const repeat = q.starting_after !== undefined && ctx.faults.repeatsCursor('GET', '/v1/refunds');
    const cursor = repeat ? undefined : ((q.starting_after ?? q.ending_before) as string | undefined);
    let page: RefundRecord[];
    let hasMore: boolean;
    if (cursor === undefined) {
      page = all.slice(0, limit);
      hasMore = all.length > limit;
    } else {
      const index = all.findIndex((r) => r.id === cursor);
      if (index < 0) {
        const param = q.starting_after !== undefined ? 'starting_after' : 'ending_before';
        return sendStripeError(reply, 400, { type: 'invalid_request_error', code: 'resource_missing', param, message: `No such refund: '${cursor}'` });
      }
      if (q.starting_after !== undefined) {
        page = all.slice(index + 1, index + 1 + limit);
        hasMore = all.length > index + 1 + limit;
      } else {
        page = all.slice(Math.max(0, index - limit), index);
        hasMore = index - limit > 0;
      }
    }
    return { object: 'list', url: '/v1/refunds', has_more: hasMore, data: page.map(serializeRefund) };
  });
}

function parseCreatedFilter(value: unknown): ((created: number) => boolean) | 'invalid' {
  if (value === undefined) return () => true;
  const int = (v: unknown) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : typeof v === 'number' && Number.isInteger(v) ? v : undefined);
  if (typeof value !== 'object' || value === null) {
    const exact = int(value);
    return exact === undefined ? 'invalid' : (c) => c === exact;
  }
  const bounds = value as Record<string, unknown>;
  const checks: ((c: number) => boolean)[] = [];
  for (const [op, raw] of Object.entries(bounds)) {
    const n = int(raw);
    if (n === undefined) return 'invalid';
    if (op === 'gte') checks.push((c) => c >= n);
    else if (op === 'gt') checks.push((c) => c > n);
    else if (op === 'lte') checks.push((c) => c <= n);
    else if (op === 'lt') checks.push((c) => c < n);
    else return 'invalid';
  }
  return (c) => checks.every((check) => check(c));
}

function errorBody(type: string, message: string, code?: string, param?: string) {
  const docUrl = code ? `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}` : undefined;
  return { error: { type, message, ...(code ? { code, doc_url: docUrl } : {}), ...(param ? { param } : {}) } };
}

function invalid(message: string, code?: string, param?: string) {
  return { status: 400, body: errorBody('invalid_request_error', message, code, param) };
}

function formatMinor(amount: number, currency: string): string {
  const symbol = currency === 'usd' ? '$' : currency === 'eur' ? '€' : currency === 'gbp' ? '£' : '';
  return `${symbol}${(amount / 100).toFixed(2)}${symbol ? '' : ` ${currency.toUpperCase()}`}`;
}
