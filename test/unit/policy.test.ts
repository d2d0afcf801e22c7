import assert from 'node:assert/strict';
import { decideResolution, defaultResolutionPolicy as policy, refundNeedsApproval, ResolutionPolicySchema } from '../../src/domain/policy';
import { money } from '../../src/domain/money';

const facts = { reason: 'damaged-item' as const, orderPlacedAt: '2026-11-01T10:00:00Z', now: '2026-11-10T10:00:00Z', orderStatus: 'delivered', stockAvailable: true };

describe('resolution policy', () => {
  it('replaces damaged goods when stock allows, refunds them when it does not', () => {
    assert.equal(decideResolution(facts, policy).kind, 'replacement');
    const noStock = decideResolution({ ...facts, stockAvailable: false }, policy);
    assert.deepEqual([noStock.kind, noStock.rule], ['refund', 'no-stock-for-replacement']);
  });
  it('asks the agent outside the refund window and for reasons without a rule', () => {
    assert.equal(decideResolution({ ...facts, now: '2026-12-15T10:00:00Z' }, policy).rule, 'outside-refund-window');
    assert.equal(decideResolution({ ...facts, reason: 'delayed-shipment' }, policy).kind, 'agent');
  });
  it('needs approval above the threshold unless the segment is auto-approved up to the amount', () => {
    assert.equal(refundNeedsApproval(money(25_000, 'USD'), 'standard', policy), false);
    assert.equal(refundNeedsApproval(money(25_001, 'USD'), 'standard', policy), true);
    assert.equal(refundNeedsApproval(money(50_000, 'USD'), 'loyalty-gold', policy), false);
    assert.equal(refundNeedsApproval(money(70_000, 'USD'), 'loyalty-gold', policy), true);
  });
  it('rejects a malformed policy with the field named', () => {
    const parsed = ResolutionPolicySchema.safeParse({ approvalTimeout: 'tomorrow' });
    assert.equal(parsed.success, false);
    assert.deepEqual(parsed.error?.issues[0].path, ['approvalTimeout']);
  });
});
