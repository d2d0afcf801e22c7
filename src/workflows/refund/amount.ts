import { ApplicationFailure } from '@temporalio/workflow';
import { checkRefundLines, type CheckedLine, type RefundLineRequest } from '../../domain/case-lines';
import type { Money } from '../../domain/money';
import type { Order } from '../../domain/order';

export type RefundLine = CheckedLine;

/**
 * The lines to refund and their amount (unit price × quantity, in the order's currency). Without a
 * selection what remains of every line is refunded; a selection naming an unknown line, a line twice,
 * more than is left of it, or more than the payment can still refund is the caller's mistake: a
 * non-retryable ValidationError, before anything happens.
 */
export function refundLinesOf(order: Order, requested?: RefundLineRequest[], payment?: { refundable?: Money; refundedLines?: Record<string, number> }): { lines: RefundLine[]; amount: Money } {
  const checked = checkRefundLines(order, requested, payment);
  if (!checked.ok) throw ApplicationFailure.create({ type: 'ValidationError', message: checked.refusal.message, nonRetryable: true, details: [checked.refusal] });
  return checked.value;
}
