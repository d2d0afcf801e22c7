import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { ProcessClosedError, ProcessNotFoundError, WrongProcessTypeError } from './errors';

/** The latest run of a workflow id, or undefined when the server knows none. */
export async function describeIfExists(client: Client, workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Turns the server's "not found" for a call on a workflow into NotFound or Closed, whichever it is. */
export async function notFoundOrClosed(client: Client, workflowId: string): Promise<ProcessNotFoundError | ProcessClosedError> {
  const existing = await describeIfExists(client, workflowId);
  if (!existing) return new ProcessNotFoundError(workflowId);
  return new ProcessClosedError(workflowId, existing.status.name);
}

/** The process types a customer-service caller may steer; the rest (order sync, backfill, reconciliation…) belong to operators. */
export const caseProcessTypes = ['caseResolution', 'refund', 'replacement'] as const;

/**
 * The running process behind an id, required to be of one of `types` when given (by the server's record of its
 * type, never by the id's spelling). Answers its run id, so the call that follows reaches this run only.
 */
export async function requireRunningOfType(client: Client, workflowId: string, types?: readonly string[]): Promise<{ runId: string; type: string }> {
  const current = await describeIfExists(client, workflowId);
  if (!current) throw new ProcessNotFoundError(workflowId);
  if (types && !types.includes(current.type)) throw new WrongProcessTypeError(workflowId, current.type, types);
  if (current.status.name !== 'RUNNING') throw new ProcessClosedError(workflowId, current.status.name);
  return { runId: current.runId, type: current.type };
}
