import { log } from '@temporalio/workflow';
import type { AdjustmentInput } from '../../domain/adjustment';
import { idempotencyKey } from '../../domain/idempotency';
import { formatMoney, type Money } from '../../domain/money';
import { repairPlan, type Mismatch, type ReconciliationItem, type ReconciliationPolicy } from '../../domain/reconciliation';
import { failureType, untilSucceeded } from '../lib/persistent';
import { isRejection } from '../refund/undoable';
import { run } from '../refund/systems';
import type { ReconciliationSystems } from './systems';

export interface SettleContext {
  businessDate: string;
  /** idempotencyKey(reconciliation/{date}, step): a second run of the day repeats a step's key, never its effect. */
  key: (step: string) => string;
  systems: ReconciliationSystems;
  policy: ReconciliationPolicy;
  alert: (step: string, err: unknown) => Promise<void>;
}

/**
 * Deals with one mismatch: repairs it when policy allows every leg it lacks (and money has left), else
 * opens one exception Task on its Case. A repair the system refuses becomes an exception too.
 */
export async function settle(item: ReconciliationItem, mismatch: Mismatch, ctx: SettleContext): Promise<void> {
  const plan = repairPlan(item, ctx.policy);
  if (plan.repairable) {
    try {
      await repair(item, mismatch, plan, ctx);
      mismatch.action = 'repaired';
      return;
    } catch (err) {
      if (!isRejection(err)) throw err;
      mismatch.note = `repair refused (${failureType(err) ?? 'rejected'})`;
    }
  } else {
    mismatch.note = plan.reason;
  }
  await openException(item, mismatch, ctx);
}

async function repair(item: ReconciliationItem, mismatch: Mismatch, plan: { draftCreditMemo: boolean; upsertAdjustment: boolean }, ctx: SettleContext): Promise<void> {
  const { erp, salesforce } = ctx.systems;
  const refund = item.refund!;
  const orderNumber = item.orderNumber!;
  const must = <T>(step: string, call: (p: 'bounded' | 'patient') => Promise<T>) => untilSucceeded(step, call, ctx.alert);
  let creditMemoId = item.creditMemo?.creditMemoId;

  if (plan.draftCreditMemo) {
    const order = await must('get-order', (p) => run(`Read order ${orderNumber}`, erp[p].getOrder, orderNumber));
    const request = { customerId: order.customerId, orderNumber, amount: refund.amount, reason: `reconciliation: refund ${refund.refundId} without credit memo`, businessDate: ctx.businessDate, reference: item.caseNumber ?? refund.refundId };
    const drafted = await must(`credit-memo:${item.key}`, (p) => run(`Draft the missing credit memo ${formatMoney(refund.amount)} for refund ${refund.refundId}`, erp[p].draftCreditMemo, request, ctx.key(`credit-memo:${item.key}`)));
    mismatch.repairs.push({ step: 'credit-memo-drafted', ref: drafted.creditMemoId });
    await must(`post-credit-memo:${item.key}`, (p) => run(`Post credit memo ${drafted.creditMemoId}`, erp[p].postCreditMemo, drafted.creditMemoId, ctx.key(`post-credit-memo:${item.key}`)));
    mismatch.repairs.push({ step: 'credit-memo-posted', ref: drafted.creditMemoId });
    creditMemoId = drafted.creditMemoId;
    mismatch.creditMemoId = creditMemoId;
  }

  if (plan.upsertAdjustment) {
    const adjustment = item.adjustment ? linkedAdjustment(item, creditMemoId) : await missingAdjustment(item, creditMemoId, ctx);
    const saved = await must(`adjustment:${item.key}`, (p) => run(`Record adjustment ${formatMoney(adjustment.amount)} for refund ${refund.refundId} in Salesforce`, salesforce[p].upsertSalesforceAdjustment, adjustment));
    mismatch.repairs.push({ step: 'adjustment-upserted', ref: saved.recordId });
    mismatch.externalId = adjustment.externalId;
  }
  log.info('reconciliation repaired', { key: item.key, class: item.class, repairs: mismatch.repairs });
}

/** The existing adjustment, now naming its refund and the memo just drafted (same external id: an update). */
function linkedAdjustment(item: ReconciliationItem, creditMemoId: string | undefined): AdjustmentInput {
  const { recordId: _recordId, name: _name, ...adjustment } = item.adjustment!;
  return { ...adjustment, refundId: adjustment.refundId ?? item.refund!.refundId, creditMemoId };
}

/**
 * The adjustment the refund workflow should have written: under its own external id when the refund names
 * its workflow (so a late write by that workflow updates this record instead of booking a second one).
 */
async function missingAdjustment(item: ReconciliationItem, creditMemoId: string | undefined, ctx: SettleContext): Promise<AdjustmentInput> {
  const refund = item.refund!;
  const refundWorkflow = refund.metadata.workflowId;
  return {
    externalId: refundWorkflow ? idempotencyKey(refundWorkflow, 'adjustment') : ctx.key(`adjustment:${refund.refundId}`),
    caseId: await caseIdOf(item, ctx),
    orderNumber: item.orderNumber,
    amount: refund.amount,
    type: 'refund',
    status: 'posted',
    businessDate: ctx.businessDate,
    refundId: refund.refundId,
    creditMemoId,
  };
}

/** The Case the mismatch belongs to: the adjustment's, or the one named by the refund's or memo's case number. */
async function caseIdOf(item: ReconciliationItem, ctx: SettleContext): Promise<string | undefined> {
  if (item.adjustment?.caseId) return item.adjustment.caseId;
  if (!item.caseNumber) return undefined;
  const caseNumber = item.caseNumber;
  try {
    const kase = await untilSucceeded(`case:${caseNumber}`, (p) => run(`Find case ${caseNumber}`, ctx.systems.salesforce[p].getCaseByNumber, caseNumber), ctx.alert);
    return kase.caseId;
  } catch (err) {
    if (isRejection(err)) return undefined;
    throw err;
  }
}

const amountText = (m: Money | undefined) => (m ? formatMoney(m) : 'none');

/** One exception Task per mismatch and day, on the mismatch's Case; none when there is no Case to hang it on. */
async function openException(item: ReconciliationItem, mismatch: Mismatch, ctx: SettleContext): Promise<void> {
  if (!ctx.policy.openExceptions) {
    mismatch.action = 'reported';
    return;
  }
  const caseId = await caseIdOf(item, ctx);
  if (!caseId) {
    mismatch.action = 'unassigned';
    log.warn('reconciliation mismatch without a case', { event: 'alert', key: item.key, class: item.class, orderNumber: item.orderNumber });
    return;
  }
  const subject = `Reconciliation ${ctx.businessDate}: ${item.class} on order ${item.orderNumber ?? '(unknown)'}`;
  const description = [
    `${subject} (${mismatch.note ?? 'needs a person'}).`,
    `Adjustment ${mismatch.externalId ?? 'none'}: ${amountText(mismatch.amounts.salesforce)}; credit memo ${mismatch.creditMemoId ?? 'none'}: ${amountText(mismatch.amounts.erp)}; refund ${mismatch.refundId ?? 'none'}: ${amountText(mismatch.amounts.payments)}.`,
  ].join('\n');
  const step = `exception:${item.key}`;
  try {
    const task = await untilSucceeded(step, (p) => run(`Open exception: ${item.class} (${item.key})`, ctx.systems.salesforce[p].createSalesforceEscalationTask, { caseId, subject, description, priority: 'High', idempotencyKey: ctx.key(step) }), ctx.alert);
    mismatch.exception = { caseId, taskId: task.taskId, created: task.created };
    mismatch.action = 'exception';
  } catch (err) {
    if (!isRejection(err)) throw err;
    mismatch.action = 'unassigned';
    mismatch.note = `${mismatch.note ?? ''}; exception refused (${failureType(err) ?? 'rejected'})`;
  }
}
