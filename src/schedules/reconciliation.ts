import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptionsStartWorkflowAction, type ScheduleSpec } from '@temporalio/client';
import type { Config } from '../config';
import type { ReconciliationPolicyInput } from '../domain/reconciliation';
import type { reconciliation, ReconciliationInput } from '../workflows/reconciliation';

export interface ReconciliationScheduleOptions {
  /** Default reconciliation-daily. */
  scheduleId?: string;
  /** When the day before is reconciled, as cron in UTC; default 02:30, after the ERP's nightly posting. */
  cron?: string;
  policy?: ReconciliationPolicyInput;
}

export const defaultReconciliationScheduleId = 'reconciliation-daily';
const defaultCron = '30 2 * * *';

/**
 * Makes sure the daily reconciliation Schedule exists and runs this deployment's settings: created when
 * missing, otherwise its spec and action are brought up to date (a re-run changes nothing else; pause
 * state and history stay). Two starters racing both succeed. Each scheduled run starts `reconciliation`
 * without a date, which reconciles the day before as reconciliation/{date}; overlapping runs are skipped.
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
  const handle = client.schedule.getHandle(scheduleId);
  try {
    await handle.describe();
    await handle.update((previous) => ({ ...previous, spec, action }));
    return { scheduleId, created: false };
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
      state: { note: 'daily reconciliation of Salesforce adjustments, ERP credit memos and payment refunds' },
    });
    return { scheduleId, created: true };
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return { scheduleId, created: false };
    throw err;
  }
}
