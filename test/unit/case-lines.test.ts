import assert from 'node:assert/strict';
import { checkRefundLines, checkReplacementLines, refundedLinesMetadata, refundedLinesOf } from '../../src/domain/case-lines';
import type { Order } from '../../src/domain/order';

const order: Order = {
  orderNumber: 'SO-1',
  customerId: 'C-1',
  storeId: '101',
  region: 'NA-WEST',
  channel: 'web',
  status: 'delivered',
  placedAt: '2026-11-01T10:00:00.000Z',
  currency: 'USD',
  total: { amount: 5000, currency: 'USD' },
  lines: [
    { lineNumber: 10, sku: 'SKU-1', quantity: 2, unitPrice: { amount: 1500, currency: 'USD' } },
    { lineNumber: 20, sku: 'SKU-2', quantity: 1, unitPrice: { amount: 2000, currency: 'USD' } },
  ],
  paymentId: 'pi_1',
} as unknown as Order;

describe('refunded lines recorded with the payment provider', () => {
  it('round-trips through refund metadata within Stripe limits, summing over refunds', () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ lineNumber: (i + 1) * 10, quantity: 9999 }));
    const metadata = refundedLinesMetadata(many);
    assert.ok(Object.keys(metadata).length <= 50 && Object.values(metadata).every((v) => v.length <= 500));
    assert.equal(Object.keys(refundedLinesOf([metadata])).length, 200);
    assert.deepEqual(refundedLinesOf([refundedLinesMetadata([{ lineNumber: 10, quantity: 1 }]), refundedLinesMetadata([{ lineNumber: 10, quantity: 1 }, { lineNumber: 20, quantity: 1 }]), { caseNumber: '1' }]), { '10': 2, '20': 1 });
  });

  it('counts a line refunded at the provider even when the ERP does not, for refunds and replacements', () => {
    const refundedLines = refundedLinesOf([refundedLinesMetadata([{ lineNumber: 10, quantity: 2 }])]);
    const again = checkRefundLines(order, [{ lineNumber: 10, quantity: 1 }], { refundable: { amount: 2000, currency: 'USD' }, refundedLines });
    assert.equal(again.ok, false);
    const rest = checkRefundLines(order, undefined, { refundedLines });
    assert.ok(rest.ok && rest.value.lines.length === 1 && rest.value.lines[0].lineNumber === 20);
    assert.equal(checkReplacementLines(order, [{ lineNumber: 10, quantity: 1 }], {}, refundedLines).ok, false);
    assert.equal(checkReplacementLines(order, [{ lineNumber: 20, quantity: 1 }], {}, refundedLines).ok, true);
  });
});
