import { SALESFORCE_USER_ID, SALESFORCE_USER_ID_MESSAGE } from '../../../domain/salesforce-user';
import { z } from './zod';

// Built here (not the domain's schema): only schemas made after extendZodWithOpenApi carry .openapi().
const userId = (role: string) => z.string().regex(SALESFORCE_USER_ID, SALESFORCE_USER_ID_MESSAGE).openapi({ description: `The ${role}'s Salesforce User Id (005…, 15 or 18 characters); Salesforce confirms the user is active first`, example: '005000000000000AAA' });

export const ProcessSchema = z
  .object({
    workflowId: z.string(),
    runId: z.string(),
    type: z.string().openapi({ example: 'refund' }),
    status: z.string().openapi({ description: 'Execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, CONTINUED_AS_NEW' }),
    stage: z.string().optional().openapi({ description: 'The business stage, e.g. awaiting-approval' }),
    caseNumber: z.string().optional(),
    orderNumber: z.string().optional(),
    storeId: z.string().optional(),
    region: z.string().optional(),
    summary: z.string().optional(),
    startTime: z.string(),
    closeTime: z.string().optional(),
    stateJson: z.string().optional().openapi({ description: 'The process\'s own state (its query answer) as JSON text; flat for Flow' }),
    stateError: z.string().optional().openapi({ description: 'Why the state could not be read (e.g. no worker running)' }),
  })
  .openapi('Process');
export type Process = z.infer<typeof ProcessSchema>;

export const ApprovalRequestSchema = z
  .strictObject({
    decision: z.enum(['approve', 'reject']),
    approver: userId('approving supervisor'),
    note: z.string().max(2000).optional(),
  })
  .openapi('ApprovalRequest', {
    description: 'A supervisor\'s decision on a refund waiting for approval. Refused (422) when the user is unknown or inactive, asked for the refund, or their Refund_Approval_Limit__c does not cover the amount (approve)',
  });

export const ApprovalResultSchema = z
  .object({
    workflowId: z.string(),
    decision: z.enum(['approve', 'reject']),
    approver: z.string().openapi({ description: 'The approving Salesforce User Id' }),
    approverName: z.string(),
    caller: z.string().optional().openapi({ description: 'The API key that passed the decision on' }),
    amount: z.number().int().openapi({ description: 'Refund amount in minor units (cents)' }),
    currency: z.string(),
    decidedAt: z.string(),
  })
  .openapi('ApprovalResult');

export const ChoiceLineSchema = z
  .strictObject({ lineNumber: z.number().int().min(1), quantity: z.number().int().min(1) })
  .openapi('ChoiceLine');

export const DecisionRequestSchema = z
  .strictObject({
    resolution: z.enum(['refund', 'replacement']),
    agent: userId('choosing agent'),
    lines: z.array(ChoiceLineSchema).min(1).optional().openapi({ description: 'Part of the order only; omitted = every line in full' }),
    note: z.string().max(2000).optional(),
  })
  .openapi('DecisionRequest', { description: 'The agent\'s choice for a case the policy could not decide' });

export const DecisionResultSchema = z
  .object({
    workflowId: z.string(),
    accepted: z.boolean(),
    resolution: z.enum(['refund', 'replacement']),
    warehouseId: z.string().optional(),
  })
  .openapi('DecisionResult');

export const CancelRequestSchema = z.strictObject({ reason: z.string().min(1).max(500) }).openapi('CancelRequest');

export const CancelResultSchema = z
  .object({ workflowId: z.string(), type: z.string().openapi({ description: 'The workflow type asked to cancel' }), cancelRequested: z.boolean(), reason: z.string() })
  .openapi('CancelResult', { description: 'The cancel was requested; the process undoes what it can and records the outcome' });
