import { ApplicationFailure } from '@temporalio/workflow';
import { multiplyMoney, sumMoney, type Money } from '../../domain/money';
import type { Order } from '../../domain/order';

export interface RefundLine {
  lineNumber: number;
  sku: string;
  quantity: number;
}

/**
 * The lines to refund and their amount (unit price × quantity, in the order's currency). Without a
 * selection every line is refunded in full; a selection naming an unknown line, a line twice, or more
 * than was ordered is the caller's mistake: a non-retryable ValidationError, before anything happens.
 */
export function refundLinesOf(order: Order, requested?: { lineNumber: number; quantity: number }[]): { lines: RefundLine[]; amount: Money } {
  const selection = requested ?? order.lines.map((l) => ({ lineNumber: l.lineNumber, quantity: l.quantity }));
  if (selection.length === 0) throw invalid(`no lines to refund on order ${order.orderNumber}`);
  const seen = new Set<number>();
  const lines = selection.map(({ lineNumber, quantity }) => {
    const line = order.lines.find((l) => l.lineNumber === lineNumber);
    if (!line) throw invalid(`order ${order.orderNumber} has no line ${lineNumber}`);
    if (seen.has(lineNumber)) throw invalid(`line ${lineNumber} is listed twice`);
    seen.add(lineNumber);
    if (!Number.isInteger(quantity) || quantity < 1) throw invalid(`line ${lineNumber}: quantity must be a positive integer, got ${quantity}`);
    if (quantity > line.quantity) throw invalid(`line ${lineNumber}: ${quantity} × ${line.sku} is more than the ${line.quantity} ordered`);
    return { lineNumber, sku: line.sku, quantity, price: multiplyMoney(line.unitPrice, quantity) };
  });
  return {
    lines: lines.map(({ lineNumber, sku, quantity }) => ({ lineNumber, sku, quantity })),
    amount: sumMoney(lines.map((l) => l.price), order.total.currency),
  };
}

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'ValidationError', message, nonRetryable: true });
}
