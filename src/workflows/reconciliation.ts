import { ParentClosePolicy, continueAsNew, executeChild, log, setHandler, workflowInfo } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { z } from 'zod';
import { BusinessDateSchema } from '../domain/adjustment';
import { idempotencyKey } from '../domain/idempotency';
import {
  countClasses,
  mismatchOf,
  previousBusinessDate,
  reconcile,
  reconciliationWorkflowId,
  ReconciliationPolicySchema,
  summarize,
  type ReconciliationItem,
  type ReconciliationReport,
} from '../domain/reconciliation';
import { createAlerter, type Alert } from './lib/alerts';
import { parseInput } from './lib/case-facts';
import { untilSucceeded } from './lib/persistent';
import { resolveQueues } from './lib/queues';
import { enterStage } from './lib/stage';
import { reconciliationReportQuery, type ReconciliationInput, type ReconciliationResult } from './reconciliation/definitions';
import { settle } from './reconciliation/settle';
import { reconciliationSystems } from './reconciliation/systems';
import { run } from './refund/systems';

export * from './reconciliation/definitions';

/**
 * reconciliation/{businessDate}: proves every customer adjustment of a day has its refund and its credit memo.
 *   1. list the day's Salesforce adjustments, both ERPs' credit memos and the payment refunds
 *   2. join them by the keys the refund workflow writes and classify each (domain/reconciliation.ts)
 *   3. page through the mismatches: repair what policy allows (idempotent keys from this workflow's id
 *      and the record's key), open one exception Task on the Case for the rest
 *   4. continue-as-new between pages on a large day, carrying the running report and what is left
 * The report is the getReconciliationReport query and the result. Started by the Schedule without a
 * date, it reconciles the day before as its child reconciliation/{date}.
 */
export async function reconciliation(input: ReconciliationInput = {}): Promise<ReconciliationResult> {
  parseInput(z.object({ businessDate: z.string().optional(), alertAfterAttempts: z.number().int().min(1).max(1000).optional() }).loose(), input, 'reconciliation input');
  if (!input.businessDate) return reconcileTheDayBefore(input);
  const businessDate = parseInput(BusinessDateSchema, input.businessDate, 'businessDate');
  const { workflowId } = workflowInfo();
  const policy = parseInput(ReconciliationPolicySchema, input.policy ?? {}, 'policy');
  const queues = resolveQueues(input.taskQueues);
  const systems = reconciliationSystems(queues, input.alertAfterAttempts ?? 5);
  const alerts: Alert[] = [];
  const alert = createAlerter({ salesforceQueue: queues.salesforce, alerts });

  let report: ReconciliationReport;
  let pending: ReconciliationItem[];
  setHandler(reconciliationReportQuery, () => ({ ...report, summary: summarize(report?.mismatches ?? []) }));

  if (input.carried) {
    ({ report, pending } = input.carried);
    report.runs += 1;
  } else {
    const startedAt = new Date().toISOString();
    report = { businessDate, workflowId, status: 'running', startedAt, totals: { adjustments: 0, creditMemos: 0, refunds: 0 }, counts: countClasses([]), summary: summarize([]), mismatches: [], pages: 0, runs: 1 };
    enterStage('listing', businessDate);
    const { listing } = systems;
    const [adjustments, creditMemos, refunds] = await Promise.all([
      untilSucceeded('list-adjustments', (p) => run(`List Salesforce adjustments of ${businessDate}`, listing.salesforce[p].listSalesforceAdjustments, businessDate), alert),
      untilSucceeded('list-credit-memos', (p) => run(`List credit memos of ${businessDate} in both ERPs`, listing.erp[p].listCreditMemosAllErps, businessDate), alert),
      untilSucceeded('list-refunds', (p) => run(`List payment refunds of ${businessDate}`, listing.payments[p].listPaymentRefunds, { from: `${businessDate}T00:00:00.000Z`, to: `${businessDate}T23:59:59.999Z` }), alert),
    ]);

    enterStage('classifying', `${adjustments.length} adjustments, ${creditMemos.length} credit memos, ${refunds.length} refunds`);
    const items = reconcile(adjustments, creditMemos, refunds);
    pending = items.filter((i) => i.class !== 'matched');
    report.totals = { adjustments: adjustments.length, creditMemos: creditMemos.length, refunds: refunds.length };
    report.counts = countClasses(items);
    report.mismatches = pending.map(mismatchOf);
  }

  const key = (step: string) => idempotencyKey(workflowId, step);
  const mismatchByKey = new Map(report.mismatches.map((m) => [m.key, m]));
  let pagesThisRun = 0;
  while (pending.length > 0) {
    if (pagesThisRun >= policy.pagesPerRun || workflowInfo().continueAsNewSuggested) {
      enterStage('continuing', `${pending.length} mismatches left`);
      await continueAsNew<typeof reconciliation>({ ...input, carried: { report, pending } });
    }
    const page = pending.slice(0, policy.pageSize);
    enterStage('settling', `page ${report.pages + 1}: ${page.length} of ${pending.length} mismatches left`);
    await Promise.all(page.map((item) => settle(item, mismatchByKey.get(item.key)!, { businessDate, key, systems, policy, alert })));
    pending = pending.slice(page.length);
    report.pages += 1;
    pagesThisRun += 1;
  }

  report.status = 'completed';
  report.completedAt = new Date().toISOString();
  report.summary = summarize(report.mismatches);
  const { repaired, exceptionsOpened, unassigned } = report.summary;
  enterStage('reconciled', `${report.counts.matched} matched, ${report.summary.mismatches} mismatches: ${repaired} repaired, ${exceptionsOpened} new exceptions, ${unassigned} without a case`);
  log.info('reconciliation completed', { businessDate, counts: report.counts, summary: report.summary });
  return report;
}

// Set by the server on every run a Schedule starts: the time the run was due, not when it began.
const scheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/**
 * The Schedule's run: reconciles the day before its scheduled time (so a catch-up run after an outage
 * reconciles its own day, not the day before the wall clock) under that day's id, so a manual run of
 * the day and this one are the same process. Started by hand without a date: the day before its start.
 */
async function reconcileTheDayBefore(input: ReconciliationInput): Promise<ReconciliationResult> {
  const info = workflowInfo();
  const businessDate = previousBusinessDate(info.typedSearchAttributes.get(scheduledStartTime) ?? info.startTime);
  enterStage('starting', reconciliationWorkflowId(businessDate));
  try {
    return await executeChild(reconciliation, {
      workflowId: reconciliationWorkflowId(businessDate),
      args: [{ ...input, businessDate }],
      // The day's run stands on its own: a terminated trigger must not stop it.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    log.info('the day is already being reconciled', { businessDate });
    return { businessDate, skipped: 'already-running' };
  }
}
