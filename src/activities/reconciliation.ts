import type { ErpConnector } from '../connectors/erp';
import type { PaymentsConnector } from '../connectors/payments';
import type { SalesforceConnector } from '../connectors/salesforce';
import { BusinessDateSchema } from '../domain/adjustment';
import { NonRetryableDownstreamError } from '../domain/errors';
import { countClasses, reconcile, ReconciliationDayRequestSchema, type ReconciliationDayPage, type ReconciliationDayRequest } from '../domain/reconciliation';
import { asActivity } from './failures';

/** Code-unit order, the same as `key > after` (localeCompare would disagree with the cursor). */
const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Reconciliation's read of a business day. Runs on the orchestration worker: the join needs all three
 * systems' records of the day at once, and only here may they be held — the workflow gets back counts
 * and one bounded page of mismatches after its cursor, never the day's records (a busy day's records
 * are many times Temporal's 2 MB payload limit).
 */
export function createReconciliationActivities(systems: { salesforce: SalesforceConnector; erp: ErpConnector; payments: PaymentsConnector }) {
  return {
    async readReconciliationDay(request: ReconciliationDayRequest): Promise<ReconciliationDayPage> {
      return asActivity(async () => {
        const parsed = ReconciliationDayRequestSchema.safeParse(request);
        if (!parsed.success) throw new NonRetryableDownstreamError('ValidationError', { system: 'erp', operation: 'readReconciliationDay', code: 'INVALID_INPUT', message: parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'} ${i.message}`).join('; ') });
        const { businessDate, after, limit } = parsed.data;
        const date = BusinessDateSchema.parse(businessDate);
        // Each listing pages its system (cursor, page token, starting_after) with a bounded page size.
        const [adjustments, creditMemos, refunds] = await Promise.all([
          systems.salesforce.listAdjustments(date),
          systems.erp.listCreditMemosAllErps ? systems.erp.listCreditMemosAllErps(date) : systems.erp.listCreditMemos(date),
          systems.payments.listRefunds({ from: `${date}T00:00:00.000Z`, to: `${date}T23:59:59.999Z` }),
        ]);
        const items = reconcile(adjustments, creditMemos, refunds);
        const pending = items.filter((i) => i.class !== 'matched' && (after === undefined || i.key > after)).sort(byKey);
        return {
          totals: { adjustments: adjustments.length, creditMemos: creditMemos.length, refunds: refunds.length },
          counts: countClasses(items),
          mismatches: pending.slice(0, limit),
          more: pending.length > limit,
        };
      });
    },
  };
}

export type ReconciliationActivities = ReturnType<typeof createReconciliationActivities>;
