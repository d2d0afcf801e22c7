import { randomUUID } from 'node:crypto';
import { isGrpcServiceError, type Client } from '@temporalio/client';
import { notFoundOrClosed, requireRunning } from './handles';

const GRPC_NOT_FOUND = 5;

export interface CancelRequested {
  workflowId: string;
  reason: string;
}

/**
 * Asks a process to cancel: it undoes what it did (its saga) and marks the Case. The reason is
 * recorded on the cancel request itself (the history's WorkflowExecutionCancelRequested event and
 * the Web UI show it), so no workflow needs a signal for it. A closed process is refused
 * (ProcessClosedError): the server would accept its cancel as a no-op and the caller hear nothing happened.
 */
export async function cancelProcess(client: Client, workflowId: string, reason: string): Promise<CancelRequested> {
  await requireRunning(client, workflowId);
  try {
    await client.workflowService.requestCancelWorkflowExecution({
      namespace: client.options.namespace,
      workflowExecution: { workflowId },
      identity: client.options.identity,
      requestId: randomUUID(),
      reason,
    });
    return { workflowId, reason };
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) throw await notFoundOrClosed(client, workflowId);
    throw err;
  }
}
