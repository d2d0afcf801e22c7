import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { caseResolutionStateQuery } from '../workflows/case-resolution';
import { refundStateQuery } from '../workflows/refund';
import { replacementStateQuery } from '../workflows/replacement';
import { backfillProgressQuery } from '../workflows/order-backfill';
import { Stage } from '../workflows/search-attributes';
import { ProcessNotFoundError } from './errors';

export interface ProcessDescription {
  workflowId: string;
  runId: string;
  type: string;
  /** RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, CONTINUED_AS_NEW, TIMED_OUT. */
  status: string;
  /** The business stage: the process's own (state query) when it answers, else the Stage search attribute (upserted only at the stages operators filter on). */
  stage?: string;
  /** The type's state query answer (getCaseResolutionState, getRefundState, getReplacementState). */
  state?: unknown;
  /** Why the state could not be queried (no worker polling, unknown type). */
  stateError?: string;
  searchAttributes: Record<string, unknown>;
  summary?: string;
  startTime: string;
  closeTime?: string;
}

const stateQueries: Record<string, QueryDefinition<unknown>> = {
  caseResolution: caseResolutionStateQuery,
  refund: refundStateQuery,
  replacement: replacementStateQuery,
  orderBackfill: backfillProgressQuery,
};

/** Status, stage, search attributes and the process's own state; ProcessNotFoundError when the id is unknown. */
export async function describeProcess(client: Client, workflowId: string, options: { queryTimeoutMs?: number } = {}): Promise<ProcessDescription> {
  const handle = client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new ProcessNotFoundError(workflowId);
    throw err;
  }
  const searchAttributes = Object.fromEntries(description.typedSearchAttributes.getAll().map((pair) => [pair.key.name, pair.value]));
  const result: ProcessDescription = {
    workflowId,
    runId: description.runId,
    type: description.type,
    status: description.status.name,
    stage: description.typedSearchAttributes.get(Stage),
    searchAttributes,
    summary: await description.staticSummary().catch(() => undefined),
    startTime: description.startTime.toISOString(),
    closeTime: description.closeTime?.toISOString(),
  };
  const query = stateQueries[description.type];
  if (!query) return { ...result, stateError: `no state query for workflow type ${description.type}` };
  try {
    // A closed process is queried by replaying it on a worker: bounded, so a missing worker cannot hang the caller.
    const state = await client.connection.withDeadline(Date.now() + (options.queryTimeoutMs ?? 5_000), () =>
      client.workflow.getHandle(workflowId, description.runId).query(query),
    );
    const live = (state as { stage?: unknown } | undefined)?.stage;
    return { ...result, state, stage: typeof live === 'string' ? live : result.stage };
  } catch (err) {
    return { ...result, stateError: (err as Error).message };
  }
}
