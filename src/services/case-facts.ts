import { z } from 'zod';
import type { Config } from '../config';
import { loadResolutionPolicy, resolvePolicy, type ResolutionPolicySource } from '../config/policy';
import { createErpConnector } from '../connectors/erp';
import { createPaymentsConnector } from '../connectors/payments';
import { createSalesforceConnector } from '../connectors/salesforce';
import type { CaseReason } from '../domain/case';
import { checkRefundLines, checkReplacementLines, warehouseHolding, type CheckedLine, type LineRefusal, type RefundLineRequest, type ReplacementLineRequest } from '../domain/case-lines';
import { isDownstreamError, type SystemName } from '../domain/errors';
import type { Money } from '../domain/money';
import type { Order } from '../domain/order';
import type { ResolutionPolicy } from '../domain/policy';
import { caseContextOf, type CaseContext } from '../workflows/lib/case-context';
import { CaseNotFoundError, CaseRefusedError, FactsUnavailableError } from './case-errors';
import { withDeadline } from './deadline';

export { CaseNotFoundError, CaseRefusedError, FactsUnavailableError };

/**
 * What a start may rely on before it starts anything: the Case from Salesforce (with its Account's
 * customer and segment), its order from the ERP, and the lines checked against what remains of it.
 * The workflow reads the same facts again and is the authority; this read makes a bad request a fast
 * 404/422 instead of a started process.
 */
export interface StartFacts {
  case: CaseContext;
  /** The Case's own reason, if it has one. */
  reason?: CaseReason;
  order: Order;
  policy: ResolutionPolicy;
}

/** START_FACTS_TIMEOUT_MS: how long the API waits for Salesforce and the ERP before answering 503. */
export const StartFactsTimeoutSchema = z.coerce.number().int().min(100).max(30_000).default(3000);

export function startFactsTimeoutFromEnv(env: Record<string, string | undefined> = process.env): number {
  const parsed = StartFactsTimeoutSchema.safeParse(env.START_FACTS_TIMEOUT_MS || undefined);
  if (!parsed.success) throw new Error(`invalid configuration: START_FACTS_TIMEOUT_MS: ${parsed.error.issues[0].message}`);
  return parsed.data;
}

export interface CaseFactsService {
  /** The Case and its order; caseId and reason, when the caller gave them, must agree with the Case. */
  read(request: { caseNumber: string; caseId?: string; reason?: CaseReason }): Promise<StartFacts>;
  /** The refund's lines and amount, bounded by the ERP's lines and the payment provider's refundable amount. */
  checkRefund(facts: StartFacts, lines: RefundLineRequest[] | undefined): Promise<{ lines: CheckedLine[]; amount: Money }>;
  /** The replacement's lines (ordered SKU or an allowed substitute) and a warehouse holding them all. */
  checkReplacement(facts: StartFacts, lines: ReplacementLineRequest[] | undefined): Promise<{ lines: CheckedLine[]; warehouseId: string }>;
  close(): void;
}

export function createCaseFacts(config: Config, options: { timeoutMs?: number; policy?: ResolutionPolicySource } = {}): CaseFactsService {
  const timeoutMs = options.timeoutMs ?? startFactsTimeoutFromEnv();
  const policySource = options.policy ?? loadResolutionPolicy();
  // Own connectors whose socket timeout is the start's budget: a start answers in seconds or says 503.
  const bounded: Config = { ...config, downstream: { ...config.downstream, timeoutMs } };
  const salesforce = createSalesforceConnector(bounded);
  const erp = createErpConnector(bounded);
  const payments = createPaymentsConnector(bounded);

  const ask = async <T>(system: SystemName, operation: string, call: () => Promise<T>, notFound?: () => Error): Promise<T> => {
    try {
      return await withDeadline(system, operation, timeoutMs, call);
    } catch (err) {
      if (notFound && isDownstreamError(err) && err.type === 'NotFoundError') throw notFound();
      throw new FactsUnavailableError(system, `${system} could not answer ${operation}: ${(err as Error).message}`);
    }
  };
  const refused = (slug: CaseRefusedError['slug'], check: { ok: false; refusal: LineRefusal }) => new CaseRefusedError(slug, check.refusal.message, check.refusal);

  return {
    async read({ caseNumber, caseId, reason }) {
      const kase = await ask('salesforce', 'getCaseByNumber', () => salesforce.getCaseByNumber(caseNumber), () => new CaseNotFoundError(caseNumber));
      if (caseId !== undefined && caseId.slice(0, 15) !== kase.caseId.slice(0, 15)) throw new CaseRefusedError('case-mismatch', `case ${caseNumber} is record ${kase.caseId}, not ${caseId}`);
      if (!kase.orderNumber) throw new CaseRefusedError('case-without-order', `case ${caseNumber} names no order`);
      if (reason !== undefined && kase.reason !== undefined && reason !== kase.reason) throw new CaseRefusedError('case-mismatch', `case ${caseNumber} has reason ${kase.reason}; a caller names one only where the Case has none`);
      const orderNumber = kase.orderNumber;
      const order = await ask('erp', 'getOrder', () => erp.getOrder(orderNumber), () => new CaseRefusedError('case-without-order', `the ERP has no order ${orderNumber} (named by case ${caseNumber})`));
      const ctx = caseContextOf(kase, order);
      return { case: ctx, reason: kase.reason, order, policy: resolvePolicy(policySource, { segment: ctx.segment, region: ctx.region }) };
    },

    async checkRefund(facts, lines) {
      const { order } = facts;
      const paymentId = order.paymentId;
      if (!paymentId) throw new CaseRefusedError('lines-refused', `order ${order.orderNumber} has no payment to refund`);
      const payment = await ask('payments', 'getPayment', () => payments.getPayment(paymentId));
      const checked = checkRefundLines(order, lines, payment);
      if (!checked.ok) throw refused('lines-refused', checked);
      return checked.value;
    },

    async checkReplacement(facts, lines) {
      // A line refunded already (as the payment provider records it) is not shipped again either.
      const paymentId = facts.order.paymentId;
      const refunded = paymentId ? (await ask('payments', 'getPayment', () => payments.getPayment(paymentId))).refundedLines : undefined;
      const checked = checkReplacementLines(facts.order, lines, facts.policy.replacementSubstitutes, refunded);
      if (!checked.ok) throw refused('lines-refused', checked);
      const skus = [...new Set(checked.value.map((l) => l.sku))];
      const stock = await ask('erp', 'getAvailability', () => erp.getAvailability(skus));
      const warehouseId = warehouseHolding(checked.value, stock);
      if (!warehouseId) throw new CaseRefusedError('no-stock', 'no warehouse holds every line of the replacement');
      return { lines: checked.value, warehouseId };
    },

    close() {
      salesforce.shutdown();
      erp.shutdown();
      payments.shutdown();
    },
  };
}
