import { WorkflowIdConflictPolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ProcessNotFoundError } from './errors';
import type { Config } from '../config';
import { reconciliationWorkflowId, type ReconciliationPolicyInput, type ReconciliationReport } from '../domain/reconciliation';
import { reconciliationReportQuery, type reconciliation } from '../workflows/reconciliation';

/** How the API and retailctl start a day's reconciliation and read its report. */

export interface StartedReconciliation {
  workflowId: string;
  runId: string;
  /** A run of the day was already in progress: that one answers. */
  existing: boolean;
}

/**
 * Starts reconciliation/{date}, or joins the run in progress. A closed day is run again on request: its keys
 * are the day's, so a re-run repairs nothing twice and re-opens no exception.
 */
export async function startReconciliation(client: Client, config: Config, businessDate: string, policy?: ReconciliationPolicyInput): Promise<StartedReconciliation> {
  const workflowId = reconciliationWorkflowId(businessDate);
  const { salesforce, erp, payments, warehouse } = config.taskQueues;
  const running = await client.workflow
    .getHandle(workflowId)
    .describe()
    .then((d) => (d.status.name === 'RUNNING' ? d.runId : undefined), () => undefined);
  if (running) return { workflowId, runId: running, existing: true };
  const handle = await client.workflow.start<typeof reconciliation>('reconciliation', {
    workflowId,
    taskQueue: config.taskQueues.orchestration,
    args: [{ businessDate, policy, taskQueues: { salesforce, erp, payments, warehouse } }],
    // Started by someone else meanwhile: join it.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
  return { workflowId, runId: handle.firstExecutionRunId, existing: false };
}

/** The day's report: the running or closed workflow's query; when no worker can answer it, a completed run's result. */
export async function readReconciliationReport(client: Client, businessDate: string): Promise<ReconciliationReport> {
  const workflowId = reconciliationWorkflowId(businessDate);
  const handle = client.workflow.getHandle<typeof reconciliation>(workflowId);
  try {
    return await handle.query(reconciliationReportQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new ProcessNotFoundError(workflowId);
    const status = await handle.describe().then((d) => d.status.name, () => undefined);
    if (status !== 'COMPLETED') throw err;
    const result = await handle.result();
    if (!('totals' in result)) throw err;
    return result;
  }
}
