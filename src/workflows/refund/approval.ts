import { ApplicationFailure, condition, log, setHandler } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { formatMoney, type Money } from '../../domain/money';
import { sameSalesforceUser, type SalesforceUser } from '../../domain/salesforce-user';
import { activeDecider, assertUserId, refuse } from '../lib/deciders';
import { approveRefundUpdate, refundApprovalSignal, ApprovalRejections, type RefundApproval, type RefundApprovalResult, type RefusedApproval } from './definitions';

export interface ApprovalDecision extends RefundApproval {
  approverName: string;
  decidedAt: string;
}

export interface ApprovalDeskOptions {
  amount: () => Money | undefined;
  salesforceQueue: string;
  /** The user who asked for the refund or chose it: they may not decide on it. */
  requestedBy?: string;
}

/**
 * Where a supervisor's decision arrives: the approveRefund update or the refundApproval signal. The
 * approver is a Salesforce User Id; before a decision counts, Salesforce confirms the user exists and
 * is active and that their Refund_Approval_Limit__c covers the amount, and the user is not the one who
 * asked for the refund. The update's caller hears a refusal as a typed failure; a refused signal is
 * recorded in the state and the log (its sender cannot be answered).
 */
export class ApprovalDesk {
  awaiting = false;
  escalated = false;
  decision?: ApprovalDecision;
  readonly refused: RefusedApproval[] = [];
  private closed = false;
  /** One check at a time: a second approver waits for the first answer instead of racing it. */
  private checking = false;

  constructor(private readonly options: ApprovalDeskOptions) {
    setHandler(
      approveRefundUpdate,
      async (approval) => {
        this.checking = true;
        try {
          return await this.check(approval);
        } finally {
          this.checking = false;
        }
      },
      {
        validator: (approval) => {
          if (!this.awaiting || this.decision || this.closed) throw refuse(ApprovalRejections.notAwaiting, 'the refund is not waiting for approval');
          if (this.checking) throw refuse(ApprovalRejections.inProgress, 'another approval is being checked; try again in a moment');
          validate(approval, this.options.requestedBy);
        },
      },
    );
    setHandler(refundApprovalSignal, async (approval) => {
      while (this.checking) await condition(() => !this.checking);
      this.checking = true;
      try {
        if (this.closed || this.decision) throw refuse(ApprovalRejections.notAwaiting, 'the refund no longer waits for approval');
        validate(approval, this.options.requestedBy);
        await this.check(approval);
      } catch (err) {
        const reason = err instanceof ApplicationFailure ? (err.type ?? 'ApplicationFailure') : 'Error';
        this.refused.push({ approver: String(approval?.approver ?? ''), caller: approval?.caller, reason, message: (err as Error).message, at: new Date().toISOString() });
        log.warn('approval signal refused', { reason, error: (err as Error).message, approver: approval?.approver, caller: approval?.caller });
      } finally {
        this.checking = false;
      }
    });
  }

  /** Waits up to `timeout` for a decision; true when one arrived. */
  async waitFor(timeout: Duration): Promise<boolean> {
    return condition(() => this.decision !== undefined, timeout);
  }

  /** No decision is taken any more (approved, rejected, defaulted, or not needed). */
  close(): void {
    this.awaiting = false;
    this.closed = true;
  }

  private async check(approval: RefundApproval): Promise<RefundApprovalResult> {
    const amount = this.options.amount();
    if (!amount) throw refuse(ApprovalRejections.notAwaiting, 'the refund amount is not known yet');
    const user = await activeDecider(this.options.salesforceQueue, approval.approver);
    // The wait may have ended (timeout, cancel) while Salesforce answered.
    if (this.closed || this.decision) throw refuse(ApprovalRejections.notAwaiting, 'the refund no longer waits for approval');
    entitled(user, approval, amount, this.options.requestedBy);
    return this.decide(approval, user, amount);
  }

  private decide(approval: RefundApproval, user: SalesforceUser, amount: Money): RefundApprovalResult {
    const decidedAt = new Date().toISOString();
    this.decision = { decision: approval.decision, approver: user.userId, approverName: user.name, caller: approval.caller, note: approval.note, decidedAt };
    log.info('refund approval received', { decision: approval.decision, approver: user.userId, approverName: user.name, caller: approval.caller });
    return { decision: approval.decision, approver: user.userId, approverName: user.name, caller: approval.caller, amount, decidedAt };
  }
}

/** Shape and self-approval by id, before anything is recorded (the validator: a refusal leaves no trace). */
function validate(approval: RefundApproval, requestedBy: string | undefined): void {
  const invalid = (message: string) => refuse(ApprovalRejections.invalid, message);
  if (!approval || typeof approval !== 'object') throw invalid('an approval is { decision, approver, note?, caller? }');
  if (approval.decision !== 'approve' && approval.decision !== 'reject') throw invalid(`decision must be "approve" or "reject", got ${JSON.stringify(approval.decision)}`);
  assertUserId(approval.approver, 'approver');
  if (approval.note !== undefined && typeof approval.note !== 'string') throw invalid('note must be text');
  if (approval.caller !== undefined && typeof approval.caller !== 'string') throw invalid('caller must be text');
  if (sameSalesforceUser({ userId: approval.approver }, requestedBy)) throw refuse(ApprovalRejections.selfApproval, 'the user who asked for the refund cannot decide on it');
}

/** What Salesforce says about the user: not the requester (by id, email or username), and a limit that covers the amount. */
function entitled(user: SalesforceUser, approval: RefundApproval, amount: Money, requestedBy: string | undefined): void {
  if (sameSalesforceUser(user, requestedBy)) throw refuse(ApprovalRejections.selfApproval, `${user.name} asked for this refund and cannot decide on it`);
  const limit = user.refundApprovalLimit;
  if (!limit) throw refuse(ApprovalRejections.noAuthority, `${user.name} has no refund approval limit`);
  // A rejection releases no money: any approver may reject; approving needs a limit that covers the amount.
  if (approval.decision === 'reject') return;
  if (limit.currency !== amount.currency || limit.amount < amount.amount) {
    throw refuse(ApprovalRejections.overLimit, `${user.name} may approve up to ${formatMoney(limit)}; this refund is ${formatMoney(amount)}`);
  }
}
