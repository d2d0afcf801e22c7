import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { CaseReason } from '../../domain/case';
import { RefundLinesSchema, type RefundLineRequest } from '../../domain/case-lines';
import type { Money } from '../../domain/money';
import type { ResolutionPolicyInput } from '../../domain/policy';
import type { Alert } from '../lib/alerts';
import { caseStartFields, type ParentFacts } from '../lib/case-input';
import type { SystemQueues } from '../lib/queues';

/**
 * What a starter (or the case resolution) hands to refund/{caseNumber}: the case and the agent's
 * choice, never facts. Order, customer, segment and payment come from Salesforce and the ERP.
 */
export interface RefundInput {
  caseNumber: string;
  /** Salesforce Case record id; when given it must be the Case's. */
  caseId?: string;
  /** Only where the Case has none (the Case's reason wins). */
  reason?: CaseReason;
  /** Partial (line-level) refund; default: what remains of every line of the order. */
  lines?: RefundLineRequest[];
  /** The Salesforce user (Id, email or username) who asked for the refund or chose it: they may not approve it. */
  requestedBy?: string;
  /** Set by the parent case resolution only: what it already read. */
  facts?: ParentFacts;
  /** Test-only overrides merged over the configured policy (the API and CLI never send one). */
  policy?: ResolutionPolicyInput;
  taskQueues?: Partial<SystemQueues>;
}

export const RefundInputSchema = z.strictObject({ ...caseStartFields, lines: RefundLinesSchema.optional() });

export type RefundStatus = 'refunded' | 'rejected' | 'cancelled';

export interface RefundApprovalOutcome {
  required: boolean;
  decision?: 'approve' | 'reject';
  /** The approving Salesforce User Id, their name, and who passed the decision on (API key name or retailctl). */
  approver?: string;
  approverName?: string;
  caller?: string;
  decidedBy: 'supervisor' | 'policy-default' | 'auto';
}

export interface RefundResult {
  status: RefundStatus;
  amount: Money;
  refundId?: string;
  creditMemoId?: string;
  returnAuthorizationId?: string;
  adjustmentId?: string;
  approval?: RefundApprovalOutcome;
  /** Steps undone, in the order they were undone. */
  compensated: string[];
  alerts: Alert[];
  /** A cancel arrived after the payment refund (the pivot): it was recorded and the refund completed anyway. */
  cancelRequestedAfterPivot?: boolean;
}

/** A supervisor's decision on a refund above the approval threshold. */
export interface RefundApproval {
  decision: 'approve' | 'reject';
  /** The deciding Salesforce User Id (005…); checked in Salesforce before the decision counts. */
  approver: string;
  note?: string;
  /** Who passed the decision on: the API key's name, or retailctl; recorded for the audit trail. */
  caller?: string;
}

export interface RefundApprovalResult {
  decision: 'approve' | 'reject';
  approver: string;
  approverName: string;
  caller?: string;
  amount: Money;
  decidedAt: string;
}

/** A decision that did not count (a refused signal): who, through whom, and why. */
export interface RefusedApproval {
  approver: string;
  caller?: string;
  reason: string;
  message: string;
  at: string;
}

/** Failure types of a refused approval (clients branch on these, never on the message); see also DeciderRejections. */
export const ApprovalRejections = {
  notAwaiting: 'NotAwaitingApprovalError',
  inProgress: 'ApprovalInProgressError',
  invalid: 'InvalidApprovalError',
  selfApproval: 'SelfApprovalError',
  noAuthority: 'NoApprovalAuthorityError',
  overLimit: 'ApprovalLimitExceededError',
} as const;

export type RefundStage =
  | 'preparing'
  | 'authorizing-return'
  | 'awaiting-approval'
  | 'approval-escalated'
  | 'drafting-credit-memo'
  | 'refunding-payment'
  | 'posting-credit-memo'
  | 'recording-adjustment'
  | 'updating-case'
  | 'compensating'
  | 'refunded'
  | 'rejected'
  | 'cancelled'
  | 'failed';

/** What getRefundState answers: where the refund is, what it has done so far and what would be undone. */
export interface RefundState {
  stage: RefundStage;
  amount?: Money;
  paymentId?: string;
  lines?: { lineNumber: number; sku: string; quantity: number }[];
  approval?: RefundApprovalOutcome & { awaiting: boolean; escalated: boolean; refused: RefusedApproval[] };
  returnAuthorizationId?: string;
  creditMemoId?: string;
  refundId?: string;
  adjustmentId?: string;
  /** Steps that would be undone if the refund failed or were cancelled now (empty after the pivot). */
  compensationsPending: string[];
  compensated: string[];
  cancelRequested: boolean;
  alerts: Alert[];
}

/** Approve or reject a refund that waits for approval; the validator rejects calls at any other time and malformed input. */
export const approveRefundUpdate = defineUpdate<RefundApprovalResult, [RefundApproval]>('approveRefund');
/** The same decision for callers that cannot wait for an answer (a Salesforce Flow's fire-and-forget). */
export const refundApprovalSignal = defineSignal<[RefundApproval]>('refundApproval');
export const refundStateQuery = defineQuery<RefundState>('getRefundState');
