import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { orderBackfill } from '../workflows/order-backfill';
import { backfillWorkflowId, canonicalSince } from '../workflows/order-backfill/ids';
import type { SystemQueues } from '../workflows/lib/queues';
import { Stage } from '../workflows/search-attributes';
import { describeIfExists } from './handles';
import type { StartedProcess } from './start';

// The backfill's start, shared by the API and retailctl.

export interface StartOrderBackfillOptions {
  since: string;
  pageSize?: number;
  batchSize?: number;
  batchBytes?: number;
  pagesPerRun?: number;
  alertAfterAttempts?: number;
  /** The orchestration task queue (config.taskQueues.orchestration). */
  taskQueue: string;
  taskQueues?: Partial<SystemQueues>;
}

/** Closed runs that a new start replaces; a completed backfill is answered as it is. */
const RESTARTABLE = new Set(['FAILED', 'TERMINATED', 'CANCELLED', 'TIMED_OUT']);

/**
 * Starts backfill/{since} unless it exists: a running or completed backfill for the same start point
 * is answered as it is (existing: true); one that failed or was stopped is started again (the upserts
 * by external id make a second pass harmless). InvalidSinceError for a since that is not a date.
 */
export async function startOrderBackfill(client: Client, options: StartOrderBackfillOptions): Promise<StartedProcess> {
  const since = canonicalSince(options.since);
  const workflowId = backfillWorkflowId(since);
  const before = await describeIfExists(client, workflowId);
  if (before && !RESTARTABLE.has(before.status.name)) return { workflowId, runId: before.runId, existing: true, status: before.status.name };
  try {
    const handle = await client.workflow.start<typeof orderBackfill>('orderBackfill', {
      workflowId,
      taskQueue: options.taskQueue,
      args: [{ since, pageSize: options.pageSize, batchSize: options.batchSize, batchBytes: options.batchBytes, pagesPerRun: options.pagesPerRun, alertAfterAttempts: options.alertAfterAttempts, taskQueues: options.taskQueues }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: [{ key: Stage, value: 'starting' }],
      staticSummary: `Backfill of the ERP's orders changed since ${since} into Salesforce`,
    });
    // USE_EXISTING: a concurrent start of the same backfill joins the run that won.
    return { workflowId, runId: handle.firstExecutionRunId, existing: false, status: 'RUNNING' };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const closed = await client.workflow.getHandle(workflowId).describe();
    return { workflowId, runId: closed.runId, existing: true, status: closed.status.name };
  }
}
