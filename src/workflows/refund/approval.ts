import { condition, log, setHandler } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { Money } from '../../domain/money';
import { approveRefundUpdate, refundApprovalSignal, type RefundApproval, type RefundApprovalResult } from './definitions';

export interface ApprovalDecision extends RefundApproval {
  decidedAt: string;
}

/**
 * Where a supervisor's decision arrives: the approveRefund update (validated: only while the refund
 * waits for approval, decision approve|reject, a named approver) or the refundApproval signal. A signal
 * cannot be refused to its sender, so a valid one that arrives before the wait is kept for it; an
 * invalid or late one is logged and ignored.
 */
export class ApprovalDesk {
  awaiting = false;
  escalated = false;
  decision?: ApprovalDecision;
  private closed = false;

  constructor(private readonly amount: () => Money | undefined) {
    setHandler(approveRefundUpdate, (approval) => this.decide(approval), {
      validator: (approval) => {
        if (!this.awaiting || this.decision) throw new Error('the refund is not waiting for approval');
        validate(approval);
      },
    });
    setHandler(refundApprovalSignal, (approval) => {
      try {
        if (this.closed || this.decision) throw new Error('the refund no longer waits for approval');
        validate(approval);
        this.decide(approval);
      } catch (err) {
        log.warn('approval signal ignored', { error: (err as Error).message, approver: approval?.approver });
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

  private decide(approval: RefundApproval): RefundApprovalResult {
    const decidedAt = new Date().toISOString();
    this.decision = { decision: approval.decision, approver: approval.approver.trim(), note: approval.note, decidedAt };
    log.info('refund approval received', { decision: approval.decision, approver: this.decision.approver });
    return { decision: approval.decision, approver: this.decision.approver, amount: this.amount()!, decidedAt };
  }
}

function validate(approval: RefundApproval): void {
  if (!approval || typeof approval !== 'object') throw new Error('an approval is { decision, approver, note? }');
  if (approval.decision !== 'approve' && approval.decision !== 'reject') throw new Error(`decision must be "approve" or "reject", got ${JSON.stringify(approval.decision)}`);
  if (typeof approval.approver !== 'string' || approval.approver.trim() === '') throw new Error('approver must name the supervisor');
  if (approval.note !== undefined && typeof approval.note !== 'string') throw new Error('note must be text');
}
