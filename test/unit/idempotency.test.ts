import assert from 'node:assert/strict';
import { idempotencyKey } from '../../src/domain/idempotency';

describe('idempotencyKey', () => {
  it('derives the same key from the workflow id and step, safe for URLs and external ids', () => {
    assert.equal(idempotencyKey('refund/00010001', 'payment-refund'), 'refund:00010001:payment-refund');
    assert.equal(idempotencyKey('refund/00010001', 'payment-refund'), idempotencyKey('refund/00010001', 'payment-refund'));
    assert.notEqual(idempotencyKey('refund/00010001', 'payment-refund'), idempotencyKey('refund/00010002', 'payment-refund'));
  });
  it('keeps long keys within 255 characters and still distinct', () => {
    const a = idempotencyKey('x'.repeat(300), 'step-a');
    const b = idempotencyKey('x'.repeat(300), 'step-b');
    assert.ok(a.length <= 255 && b.length <= 255);
    assert.notEqual(a, b);
    assert.match(a, /^[A-Za-z0-9:._-]+$/);
  });
});
