import { randomUUID } from 'node:crypto';
import { isGrpcServiceError, type Client } from '@temporalio/client';
import { caseProcessTypes, notFoundOrClosed, requireRunningOfType } from './handles';

const GRPC_NOT_FOUND = 5;

export interface CancelRequested {
  workflowId: string;
  /** The workflow type that was asked to cancel. */
  type: string;
  reason: string;
}

export interface CancelOptions {
  /** The process types this caller may cancel (default: any); others are refused with WrongProcessTypeError, untouched. */
  types?: readonly string[];
}

export { caseProcessTypes };

/**
 * Asks a process to cancel: it undoes what it did (its saga) and marks the Case. The reason is
 * recorded on the cancel request itself (the history's WorkflowExecutionCancelRequested event and
 * the Web UI show it), so no workflow needs a signal for it. A closed process is refused
 * (ProcessClosedError): the server would accept its cancel as a no-op and the caller hear nothing happened.
 */
export async function cancelProcess(client: Client, workflowId: string, reason: string, options: CancelOptions = {}): Promise<CancelRequested> {
  const { runId, type } = await requireRunningOfType(client, workflowId, options.types);
  try {
    await client.workflowService.requestCancelWorkflowExecution({
      namespace: client.options.namespace,
      // The run that was checked, not whichever run holds the id by now.
      workflowExecution: { workflowId, runId },
      identity: client.options.identity,
      requestId: randomUUID(),
      reason,
    });
    return { workflowId, type, reason };
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) throw await notFoundOrClosed(client, workflowId);
    throw err;
  }
}
