import assert from 'node:assert/strict';
import type { Adjustment } from '../../src/domain/adjustment';
import type { CreditMemo } from '../../src/domain/credit-memo';
import { idempotencyKey } from '../../src/domain/idempotency';
import { countClasses, mismatchOf, reconcile, repairPlan, reportToCsv, summarize, type ReconciliationReport } from '../../src/domain/reconciliation';
import type { Refund } from '../../src/domain/refund';

const usd = (amount: number) => ({ amount, currency: 'USD' });
const adjustment = (externalId: string, extra: Partial<Adjustment> = {}): Adjustment => ({ externalId, amount: usd(1000), type: 'refund', status: 'posted', businessDate: '2025-03-14', orderNumber: `SO-${externalId}`, ...extra });
const memo = (n: string, extra: Partial<CreditMemo> = {}): CreditMemo => ({ creditMemoId: `legacy:${n}`, system: 'legacy', number: n, customerId: 'C-1', orderNumber: `SO-${n}`, amount: usd(1000), status: 'posted', businessDate: '2025-03-14', ...extra });
const refund = (id: string, metadata: Record<string, string> = {}, extra: Partial<Refund> = {}): Refund => ({ refundId: id, paymentId: `pi_${id}`, amount: usd(1000), status: 'succeeded', createdAt: '2025-03-14T10:00:00.000Z', metadata, ...extra });
const classOf = (items: ReturnType<typeof reconcile>, key: string) => items.find((i) => i.key === key)?.class;

describe('reconciliation matching (pure)', () => {
  it('joins by refund id and credit memo id: matched', () => {
    const items = reconcile([adjustment('a', { refundId: 're_1', creditMemoId: 'legacy:CM1' })], [memo('CM1')], [refund('re_1')]);
    assert.deepEqual(items.map((i) => [i.key, i.class]), [['adjustment:a', 'matched']]);
  });

  it("joins by the refund's metadata: its workflow's adjustment key and its credit memo id", () => {
    const items = reconcile([adjustment(idempotencyKey('refund/00010001', 'adjustment'))], [memo('CM1')], [refund('re_1', { workflowId: 'refund/00010001', creditMemoId: 'legacy:CM1' })]);
    assert.deepEqual(items.map((i) => i.class), ['matched']);
  });

  it('classifies each mismatch class exactly', () => {
    const items = reconcile(
      [
        adjustment('erp', { refundId: 're_erp' }),
        adjustment('pay', { creditMemoId: 'legacy:CMpay' }),
        adjustment('amt', { refundId: 're_amt', creditMemoId: 'legacy:CMamt', amount: usd(1200) }),
        adjustment('void', { refundId: 're_void', creditMemoId: 'legacy:CMvoid' }),
        adjustment('goodwill', { type: 'goodwill-credit', creditMemoId: 'legacy:CMgw' }),
      ],
      [memo('CMpay'), memo('CMamt'), memo('CMvoid', { status: 'void' }), memo('CMgw'), memo('CMsf'), memo('CMorphan')],
      [refund('re_erp'), refund('re_amt'), refund('re_void'), refund('re_sf', { creditMemoId: 'legacy:CMsf' }), refund('re_failed', {}, { status: 'failed' })],
    );
    assert.equal(classOf(items, 'adjustment:erp'), 'missing-in-erp');
    assert.equal(classOf(items, 'adjustment:pay'), 'missing-at-payment-provider');
    assert.equal(classOf(items, 'adjustment:amt'), 'amount-mismatch');
    assert.equal(classOf(items, 'adjustment:void'), 'missing-in-erp', 'a voided memo does not count');
    assert.equal(classOf(items, 'adjustment:goodwill'), 'matched', 'a goodwill credit needs no refund');
    assert.equal(classOf(items, 'refund:re_sf'), 'missing-in-salesforce');
    assert.equal(classOf(items, 'credit-memo:legacy:CMorphan'), 'missing-in-salesforce');
    assert.equal(items.find((i) => i.key === 'refund:re_failed'), undefined, 'a failed refund moved no money');
    assert.deepEqual(countClasses(items), { matched: 1, 'missing-in-erp': 2, 'missing-at-payment-provider': 1, 'missing-in-salesforce': 2, 'amount-mismatch': 1 });
  });

  it('falls back to the order number only when exactly one candidate is left', () => {
    const one = reconcile([adjustment('x', { orderNumber: 'SO-9' })], [memo('CM9', { orderNumber: 'SO-9' })], [refund('re_9', { orderNumber: 'SO-9' })]);
    assert.deepEqual(one.map((i) => i.class), ['matched']);
    const two = reconcile([adjustment('x', { orderNumber: 'SO-9' })], [], [refund('re_9a', { orderNumber: 'SO-9' }), refund('re_9b', { orderNumber: 'SO-9' })]);
    assert.equal(classOf(two, 'adjustment:x'), 'missing-at-payment-provider');
  });

  it('repairs only what policy allows, only when money has left and amounts agree', () => {
    const [erp] = reconcile([adjustment('erp', { refundId: 're_erp' })], [], [refund('re_erp')]);
    assert.deepEqual(repairPlan(erp, { repair: ['missing-in-erp'] }), { repairable: true, draftCreditMemo: true, upsertAdjustment: true });
    assert.equal(repairPlan(erp, { repair: ['missing-in-salesforce'] }).repairable, false);
    const [sf] = reconcile([], [memo('CM1')], [refund('re_1', { creditMemoId: 'legacy:CM1', orderNumber: 'SO-1' })]);
    assert.deepEqual(repairPlan(sf, { repair: ['missing-in-salesforce'] }), { repairable: true, draftCreditMemo: false, upsertAdjustment: true });
    const [bare] = reconcile([], [], [refund('re_2', { orderNumber: 'SO-2' })]);
    assert.equal(repairPlan(bare, { repair: ['missing-in-salesforce'] }).repairable, false, 'both legs missing: both must be allowed');
    assert.equal(repairPlan(bare, { repair: ['missing-in-salesforce', 'missing-in-erp'] }).repairable, true);
    const [pay] = reconcile([adjustment('pay')], [], []);
    assert.equal(repairPlan(pay, { repair: ['missing-in-salesforce', 'missing-in-erp'] }).repairable, false, 'never moves money');
  });

  it('renders the report as CSV with one row per mismatch', () => {
    const items = reconcile([adjustment('a,"b"', { refundId: 're_1' })], [], [refund('re_1')]);
    const mismatches = items.filter((i) => i.class !== 'matched').map(mismatchOf);
    const report: ReconciliationReport = { businessDate: '2025-03-14', workflowId: 'reconciliation/2025-03-14', status: 'completed', startedAt: '', totals: { adjustments: 1, creditMemos: 0, refunds: 1 }, counts: countClasses(items), summary: summarize(mismatches), mismatches, pages: 1, runs: 1 };
    const lines = reportToCsv(report).trimEnd().split('\r\n');
    assert.equal(lines.length, 2);
    assert.ok(lines[0].startsWith('businessDate,key,class'));
    assert.ok(lines[1].includes('"adjustment:a,""b"""') && lines[1].includes(',missing-in-erp,'));
  });
});
