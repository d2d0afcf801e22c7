import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptionsStartWorkflowAction, type ScheduleSpec } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { Config } from '../config';
import type { ReconciliationPolicyInput } from '../domain/reconciliation';
import type { reconciliation, ReconciliationInput } from '../workflows/reconciliation';

export interface ReconciliationScheduleOptions {
  /** Default reconciliation-daily. */
  scheduleId?: string;
  /** When the day before is reconciled, as cron in UTC; default 02:30, after the ERP's nightly posting. */
  cron?: string;
  policy?: ReconciliationPolicyInput;
  /** How far back missed runs are caught up after the server or the Schedule was down; default 3 days. */
  catchupWindow?: Duration;
}

export const defaultReconciliationScheduleId = 'reconciliation-daily';
const defaultCron = '30 2 * * *';
const defaultCatchupWindow: Duration = '3 days';

/**
 * Makes sure the daily reconciliation Schedule exists and runs this deployment's settings: created when
 * missing, otherwise its spec and action are brought up to date (a re-run changes nothing else; pause
 * state and history stay). Two starters racing both succeed. Each scheduled run starts `reconciliation`
 * without a date, which reconciles the day before its scheduled time as reconciliation/{date}. Runs may
 * overlap: each day is its own idempotent process, so a stuck day never holds back the days after it.
 * Called by scripts/start.ts once the worker polls (the worker process has no Temporal client of its own).
 */
export async function ensureReconciliationSchedule(client: Client, config: Config, options: ReconciliationScheduleOptions = {}): Promise<{ scheduleId: string; created: boolean }> {
  const scheduleId = options.scheduleId ?? defaultReconciliationScheduleId;
  const spec: ScheduleSpec = { cronExpressions: [options.cron ?? defaultCron] };
  const { salesforce, erp, payments, warehouse } = config.taskQueues;
  const args: [ReconciliationInput] = [{ policy: options.policy, taskQueues: { salesforce, erp, payments, warehouse } }];
  const action: ScheduleOptionsStartWorkflowAction<typeof reconciliation> = {
    type: 'startWorkflow',
    workflowType: 'reconciliation',
    // The server appends the scheduled time; the run itself starts reconciliation/{date} as its child.
    workflowId: 'reconciliation/scheduled',
    taskQueue: config.taskQueues.orchestration,
    args,
  };
  // ALLOW_ALL: days are independent (one workflow id per day); SKIP would let one stuck day block every later one.
  const policies = { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: options.catchupWindow ?? defaultCatchupWindow };
  const handle = client.schedule.getHandle(scheduleId);
  try {
    await handle.describe();
    await handle.update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, ...policies } }));
    return { scheduleId, created: false };
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      policies,
      state: { note: 'daily reconciliation of Salesforce adjustments, ERP credit memos and payment refunds' },
    });
    return { scheduleId, created: true };
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return { scheduleId, created: false };
    throw err;
  }
}
