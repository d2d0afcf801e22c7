import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { ProcessClosedError, ProcessNotFoundError } from './errors';

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

/** The process must exist and still run (NotFound or Closed otherwise). */
export async function requireRunning(client: Client, workflowId: string): Promise<void> {
  const current = await describeIfExists(client, workflowId);
  if (!current) throw new ProcessNotFoundError(workflowId);
  if (current.status.name !== 'RUNNING') throw new ProcessClosedError(workflowId, current.status.name);
}
