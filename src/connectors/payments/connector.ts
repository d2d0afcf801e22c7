import { NonRetryableDownstreamError, isDownstreamError } from '../../domain/errors';
import type { Money } from '../../domain/money';
import type { Payment } from '../../domain/payment';
import type { Refund, RefundReason, RefundWindow } from '../../domain/refund';
import type { BreakerOptions } from '../shared/breaker';
import { HttpSystem } from '../shared/http';
import { toPayment, toRefund } from './mapping';
import { CursorTrail } from '../shared/paging';
import { StripeErrorBody, StripePaymentIntent, StripeRefund, StripeRefundList } from './stripe-schemas';
import { refundedLinesOf } from '../../domain/case-lines';

/** The payment provider in retail terms: a customer's payment, and refunds against it. */
export interface PaymentsConnector {
  getPayment(paymentId: string): Promise<Payment>;
  /** The refund saga's pivot: money leaves once per idempotency key, whatever retries happen. */
  createRefund(paymentId: string, amount: Money, reason: RefundReason, idempotencyKey: string, metadata?: Record<string, string>): Promise<Refund>;
  getRefund(refundId: string): Promise<Refund>;
  /** Every refund created in the window (all pages), newest first. */
  listRefunds(window: RefundWindow): Promise<Refund[]>;
  cancelRefund(refundId: string, idempotencyKey: string): Promise<Refund>;
  shutdown(): void;
}

export interface PaymentsHttpOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  breaker?: BreakerOptions;
}

/** Refund limits are business rules of the payment, not malformed requests: never retried, named as rejections. */
const BUSINESS_REJECTIONS = new Set(['amount_too_large', 'charge_already_refunded', 'charge_disputed', 'insufficient_funds']);
const PAGE_SIZE = 100;

export class PaymentsHttpConnector implements PaymentsConnector {
  readonly http: HttpSystem;

  constructor(options: PaymentsHttpOptions) {
    this.http = new HttpSystem({
      system: 'payments',
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      breaker: options.breaker,
      headers: { authorization: `Bearer ${options.apiKey}` },
      readErrorBody: (body) => {
        const parsed = StripeErrorBody.safeParse(body);
        return parsed.success ? { code: parsed.data.error.code ?? parsed.data.error.type, message: parsed.data.error.message } : {};
      },
    });
  }

  async getPayment(paymentId: string): Promise<Payment> {
    const pi = await this.http.request({
      operation: 'getPayment',
      method: 'GET',
      url: `/v1/payment_intents/${encodeURIComponent(paymentId)}`,
      // The charge carries the refunded amount; its balance transaction says whether funds settled.
      params: new URLSearchParams([
        ['expand[]', 'latest_charge'],
        ['expand[]', 'latest_charge.balance_transaction'],
      ]),
      schema: StripePaymentIntent,
    });
    const payment = toPayment(pi);
    if (payment.refunded.amount === 0) return payment;
    // Which order lines the refunds so far covered: the product records them on each refund it makes.
    const refunds = await this.listRefunds({ from: new Date(0).toISOString(), to: new Date(Date.now() + 86_400_000).toISOString(), paymentId });
    return { ...payment, refundedLines: refundedLinesOf(refunds.filter((r) => r.status !== 'failed' && r.status !== 'cancelled').map((r) => r.metadata ?? {})) };
  }

  async createRefund(paymentId: string, amount: Money, reason: RefundReason, idempotencyKey: string, metadata: Record<string, string> = {}): Promise<Refund> {
    if (!Number.isInteger(amount.amount) || amount.amount <= 0) {
      throw new NonRetryableDownstreamError('ValidationError', { system: 'payments', operation: 'createRefund', code: 'INVALID_AMOUNT', message: `refund amount must be a positive integer of minor units, got ${amount.amount}` });
    }
    const form = new URLSearchParams({ payment_intent: paymentId, amount: String(amount.amount), reason });
    for (const [key, value] of Object.entries(metadata)) form.append(`metadata[${key}]`, value);
    const refund = await this.rejectionsNamed(() =>
      this.http.request({
        operation: 'createRefund',
        method: 'POST',
        url: '/v1/refunds',
        data: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        idempotencyKey,
        schema: StripeRefund,
      }),
    );
    return toRefund(refund);
  }

  async getRefund(refundId: string): Promise<Refund> {
    const refund = await this.http.request({ operation: 'getRefund', method: 'GET', url: `/v1/refunds/${encodeURIComponent(refundId)}`, schema: StripeRefund });
    return toRefund(refund);
  }

  async listRefunds(window: RefundWindow): Promise<Refund[]> {
    const refunds: Refund[] = [];
    const trail = new CursorTrail('payments', 'listRefunds');
    let startingAfter: string | undefined;
    for (;;) {
      const params = new URLSearchParams({
        limit: String(PAGE_SIZE),
        'created[gte]': String(Math.floor(Date.parse(window.from) / 1000)),
        'created[lte]': String(Math.floor(Date.parse(window.to) / 1000)),
      });
      if (window.paymentId) params.set('payment_intent', window.paymentId);
      if (startingAfter) params.set('starting_after', startingAfter);
      const page = await this.http.request({ operation: 'listRefunds', method: 'GET', url: '/v1/refunds', params, schema: StripeRefundList });
      refunds.push(...page.data.map(toRefund));
      if (!page.has_more || page.data.length === 0) return refunds;
      // The cursor is the page's last id: a page ending where an earlier one did is the same page again.
      startingAfter = trail.follow(page.data[page.data.length - 1].id);
    }
  }

  async cancelRefund(refundId: string, idempotencyKey: string): Promise<Refund> {
    const refund = await this.http.request({
      operation: 'cancelRefund',
      method: 'POST',
      url: `/v1/refunds/${encodeURIComponent(refundId)}/cancel`,
      data: '',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      idempotencyKey,
      schema: StripeRefund,
    });
    return toRefund(refund);
  }

  shutdown(): void {
    this.http.shutdown();
  }

  private async rejectionsNamed<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (isDownstreamError(err) && err.code && BUSINESS_REJECTIONS.has(err.code)) {
        throw new NonRetryableDownstreamError('BusinessRejectionError', { system: 'payments', operation: err.operation, status: err.status, code: err.code, message: err.message, cause: err });
      }
      throw err;
    }
  }
}
