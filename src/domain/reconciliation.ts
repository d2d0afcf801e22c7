import { z } from 'zod';
import type { Adjustment } from './adjustment';
import type { CreditMemo } from './credit-memo';
import { idempotencyKey } from './idempotency';
import { MoneySchema, type Money } from './money';
import type { Refund } from './refund';

/** What reconciliation concludes about one customer adjustment and its money and credit legs. */
export const ReconciliationClassSchema = z.enum(['matched', 'missing-in-erp', 'missing-at-payment-provider', 'missing-in-salesforce', 'amount-mismatch']);
export type ReconciliationClass = z.infer<typeof ReconciliationClassSchema>;
export const reconciliationClasses = ReconciliationClassSchema.options;

/** Only these can be repaired, and only when the money has left (a payment refund exists): reconciliation never moves money. */
export const RepairableClassSchema = z.enum(['missing-in-salesforce', 'missing-in-erp']);
export type RepairableClass = z.infer<typeof RepairableClassSchema>;

/** The three systems whose records must agree. */
export const LegSchema = z.enum(['salesforce', 'erp', 'payments']);
export type Leg = z.infer<typeof LegSchema>;

export const ReconciliationPolicySchema = z.object({
  /** Classes repaired automatically; every other mismatch (and a repair that is refused) becomes an exception. */
  repair: z.array(RepairableClassSchema).default(['missing-in-salesforce', 'missing-in-erp']),
  /** Open an exception Task on the mismatch's Case (idempotent per mismatch and date). */
  openExceptions: z.boolean().default(true),
  /** Mismatches handled per page (repaired or escalated concurrently). */
  pageSize: z.number().int().min(1).max(500).default(25),
  /** Pages per run before continue-as-new carries the running report on (sooner when the server suggests it). */
  pagesPerRun: z.number().int().min(1).max(1000).default(20),
});
export type ReconciliationPolicy = z.infer<typeof ReconciliationPolicySchema>;
export type ReconciliationPolicyInput = z.input<typeof ReconciliationPolicySchema>;

/** Mismatches one read of a day hands the workflow at most: a page of full records stays far below 2 MB. */
export const MAX_MISMATCHES_PER_READ = 500;

/** One read of a business day: the mismatches whose key comes after `after` (code-unit order), at most `limit`. */
export const ReconciliationDayRequestSchema = z.object({
  businessDate: z.string(),
  after: z.string().optional(),
  limit: z.number().int().min(1).max(MAX_MISMATCHES_PER_READ),
});
export type ReconciliationDayRequest = z.infer<typeof ReconciliationDayRequestSchema>;

/** What a read of the day returns: the day's totals and counts per class, and one page of mismatches in key order. */
export interface ReconciliationDayPage {
  totals: { adjustments: number; creditMemos: number; refunds: number };
  counts: Record<ReconciliationClass, number>;
  mismatches: ReconciliationItem[];
  /** More mismatches come after the last one returned. */
  more: boolean;
}

/** One adjustment (or an orphan refund or credit memo) with the legs found for it, joined by the keys the refund workflow writes. */
export interface ReconciliationItem {
  /** Stable across runs: adjustment:{externalId}, refund:{refundId} or credit-memo:{creditMemoId}. */
  key: string;
  class: ReconciliationClass;
  /** Legs that should exist and do not. */
  missing: Leg[];
  /** Every present leg has the same amount and currency. */
  amountsAgree: boolean;
  orderNumber?: string;
  caseNumber?: string;
  adjustment?: Adjustment;
  creditMemo?: CreditMemo;
  refund?: Refund;
}

const ActionSchema = z.enum(['pending', 'repaired', 'exception', 'unassigned', 'reported']);

/** One mismatch in the report: its keys, each system's amount, and what was done about it. */
export const MismatchSchema = z.object({
  key: z.string(),
  class: ReconciliationClassSchema.exclude(['matched']),
  missing: z.array(LegSchema),
  orderNumber: z.string().optional(),
  caseNumber: z.string().optional(),
  externalId: z.string().optional(),
  refundId: z.string().optional(),
  creditMemoId: z.string().optional(),
  amounts: z.object({ salesforce: MoneySchema.optional(), erp: MoneySchema.optional(), payments: MoneySchema.optional() }),
  /** repaired: fixed now · exception: a Task is open on the Case · unassigned: no Case to open it on · reported: exceptions are off. */
  action: ActionSchema,
  repairs: z.array(z.object({ step: z.enum(['credit-memo-drafted', 'credit-memo-posted', 'adjustment-upserted']), ref: z.string() })),
  exception: z.object({ caseId: z.string(), taskId: z.string(), created: z.boolean() }).optional(),
  /** Why a repair was not done or failed (a rejection's type). */
  note: z.string().optional(),
});
export type Mismatch = z.infer<typeof MismatchSchema>;

export const ReconciliationReportSchema = z.object({
  businessDate: z.string(),
  workflowId: z.string(),
  status: z.enum(['running', 'completed']),
  startedAt: z.string(),
  completedAt: z.string().optional(),
  totals: z.object({ adjustments: z.number().int(), creditMemos: z.number().int(), refunds: z.number().int() }),
  counts: z.object(Object.fromEntries(reconciliationClasses.map((c) => [c, z.number().int()])) as Record<ReconciliationClass, z.ZodNumber>),
  summary: z.object({
    mismatches: z.number().int(),
    repaired: z.number().int(),
    exceptionsOpened: z.number().int(),
    exceptionsAlreadyOpen: z.number().int(),
    unassigned: z.number().int(),
    pending: z.number().int(),
  }),
  mismatches: z.array(MismatchSchema),
  /** Pages of mismatches handled, and runs (continue-as-new) it took. */
  pages: z.number().int(),
  runs: z.number().int(),
});
export type ReconciliationReport = z.infer<typeof ReconciliationReportSchema>;

const sameMoney = (a: Money, b: Money) => a.amount === b.amount && a.currency === b.currency;
/** A memo counts unless voided; a refund counts unless it failed or was cancelled (money did not leave). */
const liveMemo = (m: CreditMemo) => m.status !== 'void';
const moneyLeft = (r: Refund) => r.status === 'succeeded' || r.status === 'pending';

/** The legs an adjustment of this type must have besides itself: a refund pays out and credits; a credit only credits. */
function expectedLegs(adjustment: Adjustment | undefined): Leg[] {
  if (!adjustment) return ['payments', 'erp'];
  if (adjustment.type === 'refund') return ['payments', 'erp'];
  if (adjustment.type === 'replacement') return [];
  return ['erp'];
}

/** Judges one joined group: the first missing leg (Salesforce, then payments, then ERP) names the class, then the amounts. */
export function judge(parts: { key: string; adjustment?: Adjustment; creditMemo?: CreditMemo; refund?: Refund }): ReconciliationItem {
  const { adjustment, creditMemo, refund } = parts;
  const missing: Leg[] = [];
  if (!adjustment) missing.push('salesforce');
  const expected = expectedLegs(adjustment);
  // An orphan memo says nothing about a payment: only the Salesforce record is known to be missing.
  if (expected.includes('payments') && !refund && (adjustment || !creditMemo)) missing.push('payments');
  if (expected.includes('erp') && !creditMemo) missing.push('erp');
  const amounts = [adjustment?.amount, creditMemo?.amount, refund?.amount].filter((m): m is Money => m !== undefined);
  const amountsAgree = amounts.every((m) => sameMoney(m, amounts[0]));
  const cls: ReconciliationClass = missing.includes('salesforce')
    ? 'missing-in-salesforce'
    : missing.includes('payments')
      ? 'missing-at-payment-provider'
      : missing.includes('erp')
        ? 'missing-in-erp'
        : amountsAgree
          ? 'matched'
          : 'amount-mismatch';
  return {
    key: parts.key,
    class: cls,
    missing,
    amountsAgree,
    orderNumber: adjustment?.orderNumber ?? refund?.metadata.orderNumber ?? creditMemo?.orderNumber,
    caseNumber: refund?.metadata.caseNumber ?? creditMemo?.reference,
    ...(adjustment ? { adjustment } : {}),
    ...(creditMemo ? { creditMemo } : {}),
    ...(refund ? { refund } : {}),
  };
}

/** The one unclaimed record for an order number, or none when there are zero or several (no guessing). */
function onlyOne<T>(records: T[], orderNumber: string | undefined, orderOf: (r: T) => string | undefined): T | undefined {
  if (!orderNumber) return undefined;
  const found = records.filter((r) => orderOf(r) === orderNumber);
  return found.length === 1 ? found[0] : undefined;
}

/**
 * Joins a business date's adjustments, credit memos and payment refunds by the keys the refund workflow
 * writes: the adjustment's refund id and credit memo id; the refund's metadata (its workflow's adjustment
 * external id, the credit memo id); and, only when exactly one candidate is left, the order number. Each
 * record is used once. Voided memos and failed refunds do not count. Sorted by key, so it is deterministic.
 */
export function reconcile(adjustments: Adjustment[], creditMemos: CreditMemo[], refunds: Refund[]): ReconciliationItem[] {
  const memos = new Map(creditMemos.filter(liveMemo).map((m) => [m.creditMemoId, m]));
  const payouts = new Map(refunds.filter(moneyLeft).map((r) => [r.refundId, r]));
  const byAdjustmentKey = new Map([...payouts.values()].filter((r) => r.metadata.workflowId).map((r) => [idempotencyKey(r.metadata.workflowId, 'adjustment'), r]));
  const takeMemo = (id: string | undefined) => {
    const memo = id ? memos.get(id) : undefined;
    if (memo) memos.delete(memo.creditMemoId);
    return memo;
  };
  const takeRefund = (refund: Refund | undefined) => {
    if (refund && payouts.has(refund.refundId)) {
      payouts.delete(refund.refundId);
      return refund;
    }
    return undefined;
  };
  const items: ReconciliationItem[] = [];

  for (const adjustment of [...adjustments].sort((a, b) => a.externalId.localeCompare(b.externalId))) {
    let refund = takeRefund(adjustment.refundId ? payouts.get(adjustment.refundId) : byAdjustmentKey.get(adjustment.externalId));
    let creditMemo = takeMemo(adjustment.creditMemoId ?? refund?.metadata.creditMemoId);
    if (!adjustment.refundId && !refund) refund = takeRefund(onlyOne([...payouts.values()], adjustment.orderNumber, (r) => r.metadata.orderNumber));
    if (!creditMemo && !adjustment.creditMemoId) creditMemo = takeMemo(refund?.metadata.creditMemoId) ?? takeMemo(onlyOne([...memos.values()], adjustment.orderNumber, (m) => m.orderNumber)?.creditMemoId);
    items.push(judge({ key: `adjustment:${adjustment.externalId}`, adjustment, refund, creditMemo }));
  }
  for (const refund of [...payouts.values()].sort((a, b) => a.refundId.localeCompare(b.refundId))) {
    items.push(judge({ key: `refund:${refund.refundId}`, refund, creditMemo: takeMemo(refund.metadata.creditMemoId) }));
  }
  for (const creditMemo of [...memos.values()].sort((a, b) => a.creditMemoId.localeCompare(b.creditMemoId))) {
    items.push(judge({ key: `credit-memo:${creditMemo.creditMemoId}`, creditMemo }));
  }
  return items.sort((a, b) => a.key.localeCompare(b.key));
}

/** What repairing an item takes, or why it cannot be repaired (then it is an exception). */
export type RepairPlan = { repairable: true; draftCreditMemo: boolean; upsertAdjustment: boolean } | { repairable: false; reason: string };

/**
 * An item is repaired only when the money has left (a payment refund exists), the amounts that exist
 * agree, an order number is known, and policy allows every leg it lacks: missing-in-erp drafts and posts
 * the memo, missing-in-salesforce upserts the adjustment (also done to link a newly drafted memo).
 */
export function repairPlan(item: ReconciliationItem, policy: Pick<ReconciliationPolicy, 'repair'>): RepairPlan {
  if (item.class === 'matched') return { repairable: false, reason: 'matched' };
  if (!item.refund) return { repairable: false, reason: 'no payment refund: money never left, nothing to book' };
  if (!item.amountsAgree) return { repairable: false, reason: 'amounts disagree' };
  if (!item.orderNumber) return { repairable: false, reason: 'no order number' };
  const needs: Record<Leg, RepairableClass | undefined> = { salesforce: 'missing-in-salesforce', erp: 'missing-in-erp', payments: undefined };
  const refused = item.missing.filter((leg) => !needs[leg] || !policy.repair.includes(needs[leg]));
  if (refused.length) return { repairable: false, reason: `policy does not repair ${refused.map((l) => `missing ${l}`).join(', ')}` };
  const draftCreditMemo = item.missing.includes('erp');
  return { repairable: true, draftCreditMemo, upsertAdjustment: item.missing.includes('salesforce') || draftCreditMemo };
}

/** The report's view of a mismatch, before anything is done about it. */
export function mismatchOf(item: ReconciliationItem): Mismatch {
  if (item.class === 'matched') throw new RangeError(`${item.key} is matched`);
  return {
    key: item.key,
    class: item.class,
    missing: item.missing,
    orderNumber: item.orderNumber,
    caseNumber: item.caseNumber,
    externalId: item.adjustment?.externalId,
    refundId: item.refund?.refundId ?? item.adjustment?.refundId,
    creditMemoId: item.creditMemo?.creditMemoId ?? item.adjustment?.creditMemoId,
    amounts: { salesforce: item.adjustment?.amount, erp: item.creditMemo?.amount, payments: item.refund?.amount },
    action: 'pending',
    repairs: [],
  };
}

/** Counts per class and the summary line of a report, from its items and mismatches. */
export function countClasses(items: Pick<ReconciliationItem, 'class'>[]): Record<ReconciliationClass, number> {
  const counts = Object.fromEntries(reconciliationClasses.map((c) => [c, 0])) as Record<ReconciliationClass, number>;
  for (const item of items) counts[item.class]++;
  return counts;
}

export function summarize(mismatches: Mismatch[]): ReconciliationReport['summary'] {
  return {
    mismatches: mismatches.length,
    repaired: mismatches.filter((m) => m.action === 'repaired').length,
    exceptionsOpened: mismatches.filter((m) => m.exception?.created === true).length,
    exceptionsAlreadyOpen: mismatches.filter((m) => m.exception?.created === false).length,
    unassigned: mismatches.filter((m) => m.action === 'unassigned').length,
    pending: mismatches.filter((m) => m.action === 'pending').length,
  };
}

const CSV_COLUMNS = ['businessDate', 'key', 'class', 'missing', 'orderNumber', 'caseNumber', 'externalId', 'refundId', 'creditMemoId', 'currency', 'salesforceAmount', 'erpAmount', 'paymentsAmount', 'action', 'repairs', 'exceptionTaskId', 'note'] as const;

const csvCell = (value: string | number | undefined) => {
  const text = value === undefined ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** The report as CSV (RFC 4180): one row per mismatch, amounts in minor units. */
export function reportToCsv(report: ReconciliationReport): string {
  const rows = report.mismatches.map((m) => {
    const currency = m.amounts.salesforce?.currency ?? m.amounts.erp?.currency ?? m.amounts.payments?.currency;
    return [
      report.businessDate, m.key, m.class, m.missing.join(' '), m.orderNumber, m.caseNumber, m.externalId, m.refundId, m.creditMemoId, currency,
      m.amounts.salesforce?.amount, m.amounts.erp?.amount, m.amounts.payments?.amount, m.action, m.repairs.map((r) => `${r.step}=${r.ref}`).join(' '), m.exception?.taskId, m.note,
    ].map(csvCell).join(',');
  });
  return [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

/** reconciliation/{businessDate}: one workflow per day, so every channel reaches the same run and its keys. */
export const reconciliationWorkflowId = (businessDate: string) => `reconciliation/${businessDate}`;

/** The day before `now`, as a business date (UTC, like the refund workflow's). */
export function previousBusinessDate(now: Date): string {
  return new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
}
