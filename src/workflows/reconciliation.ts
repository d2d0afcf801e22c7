import { ParentClosePolicy, continueAsNew, executeChild, log, setHandler, workflowInfo } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { z } from 'zod';
import { BusinessDateSchema } from '../domain/adjustment';
import { idempotencyKey } from '../domain/idempotency';
import {
  countClasses,
  MAX_MISMATCHES_PER_READ,
  mismatchOf,
  previousBusinessDate,
  reconciliationWorkflowId,
  ReconciliationPolicySchema,
  summarize,
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
 *   1. read the day (one activity on the orchestration worker pages Salesforce adjustments, both ERPs'
 *      credit memos and the payment refunds, joins them by the keys the refund workflow writes and
 *      classifies each, domain/reconciliation.ts); only counts and a bounded page of mismatches come back
 *   2. page through the mismatches: repair what policy allows (idempotent keys from this workflow's id
 *      and the record's key), open one exception Task on the Case for the rest
 *   3. continue-as-new after `pagesPerRun` pages or a read's last mismatch, carrying the running report
 *      and the last settled key only; the next run reads the day again after that key
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
  // The day's read runs where this workflow runs: the orchestration worker.
  const systems = reconciliationSystems(queues, input.alertAfterAttempts ?? 5, workflowInfo().taskQueue);
  const alerts: Alert[] = [];
  const alert = createAlerter({ salesforceQueue: queues.salesforce, alerts });

  let report: ReconciliationReport;
  setHandler(reconciliationReportQuery, () => ({ ...report, summary: summarize(report?.mismatches ?? []) }));
  // Only the last settled mismatch's key travels between runs; each run reads the day again after it.
  let after = input.carried?.after;
  const perRead = Math.min(policy.pageSize * policy.pagesPerRun, MAX_MISMATCHES_PER_READ);
  const readDay = () =>
    untilSucceeded('read-day', (p) => run(`Read and join ${businessDate} in Salesforce, both ERPs and payments${after ? ` after ${after}` : ''}`, systems.day[p].readReconciliationDay, { businessDate, after, limit: perRead }), alert);

  let day: Awaited<ReturnType<typeof readDay>>;
  if (input.carried) {
    report = input.carried.report;
    report.runs += 1;
    enterStage('listing', `${businessDate} after ${after}`);
    day = await readDay();
  } else {
    const startedAt = new Date().toISOString();
    report = { businessDate, workflowId, status: 'running', startedAt, totals: { adjustments: 0, creditMemos: 0, refunds: 0 }, counts: countClasses([]), summary: summarize([]), mismatches: [], pages: 0, runs: 1 };
    enterStage('listing', businessDate);
    day = await readDay();
    const { totals } = day;
    enterStage('classifying', `${totals.adjustments} adjustments, ${totals.creditMemos} credit memos, ${totals.refunds} refunds`);
    report.totals = totals;
    report.counts = day.counts;
  }

  const key = (step: string) => idempotencyKey(workflowId, step);
  let pending = day.mismatches;
  let pagesThisRun = 0;
  while (pending.length > 0) {
    if (pagesThisRun >= policy.pagesPerRun || workflowInfo().continueAsNewSuggested) {
      enterStage('continuing', `after ${after}`);
      await continueAsNew<typeof reconciliation>({ ...input, carried: { report, after } });
    }
    const page = pending.slice(0, policy.pageSize);
    enterStage('settling', `page ${report.pages + 1}: ${page.length} mismatches after ${after ?? 'the start'}`);
    const mismatches = page.map(mismatchOf);
    report.mismatches.push(...mismatches);
    await Promise.all(page.map((item, i) => settle(item, mismatches[i], { businessDate, key, systems, policy, alert })));
    after = page[page.length - 1].key;
    pending = pending.slice(page.length);
    report.pages += 1;
    pagesThisRun += 1;
    if (pending.length === 0 && day.more) {
      // This read's mismatches are settled and the day has more: the next run reads it again after the cursor.
      enterStage('continuing', `after ${after}`);
      await continueAsNew<typeof reconciliation>({ ...input, carried: { report, after } });
    }
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
