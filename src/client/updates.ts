import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { chooseResolutionUpdate, type AgentChoice, type AgentChoiceAccepted } from '../workflows/case-resolution';
import { workflowIds } from '../workflows/lib/case-context';
import { approveRefundUpdate } from '../workflows/refund';
import { UpdateRejectedError } from './errors';
import { notFoundOrClosed, requireRunningOfType } from './handles';

export interface RefundDecisionOptions {
  /** The deciding Salesforce User Id (005…). */
  approver: string;
  note?: string;
  /** Who passes the decision on (API key name, retailctl): recorded in the refund's audit trail. */
  caller?: string;
  /** Defaults to refund/{caseNumber}; give it when addressing the process by id. */
  workflowId?: string;
}

/** A supervisor approves the case's refund (the refund workflow's `approveRefund` update). */
export async function approveRefund(client: Client, caseNumber: string, options: RefundDecisionOptions) {
  return decideRefund(client, caseNumber, 'approve', options);
}

/** A supervisor rejects the case's refund. */
export async function rejectRefund(client: Client, caseNumber: string, options: RefundDecisionOptions) {
  return decideRefund(client, caseNumber, 'reject', options);
}

async function decideRefund(client: Client, caseNumber: string, decision: 'approve' | 'reject', options: RefundDecisionOptions) {
  const workflowId = options.workflowId ?? workflowIds.refund(caseNumber);
  return runUpdate(client, workflowId, 'refund', approveRefundUpdate, { decision, approver: options.approver, note: options.note, caller: options.caller });
}

/** The agent's choice for a case the policy could not decide (case-resolution's `chooseResolution` update). */
export async function chooseResolution(client: Client, caseNumber: string, choice: AgentChoice, options: { workflowId?: string } = {}): Promise<AgentChoiceAccepted> {
  return runUpdate(client, options.workflowId ?? workflowIds.caseResolution(caseNumber), 'caseResolution', chooseResolutionUpdate, choice);
}

/**
 * Runs an update on a running process of the given type and maps its failures: the workflow's refusal
 * → UpdateRejectedError with the failure's type as `reason`; an unknown, closed or other-typed workflow
 * → ProcessNotFoundError / ProcessClosedError / WrongProcessTypeError (the process is not touched).
 */
async function runUpdate<Ret, Arg>(client: Client, workflowId: string, type: string, update: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret> {
  const { runId } = await requireRunningOfType(client, workflowId, [type]);
  try {
    return await client.workflow.getHandle(workflowId, runId).executeUpdate(update, { args: [arg] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause;
      const reason = cause instanceof ApplicationFailure ? (cause.type ?? 'ApplicationFailure') : (cause?.name ?? 'UpdateFailed');
      throw new UpdateRejectedError(workflowId, update.name, reason, cause?.message ?? err.message);
    }
    if (err instanceof WorkflowNotFoundError) throw await notFoundOrClosed(client, workflowId);
    throw err;
  }
}
