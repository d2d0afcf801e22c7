import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import type { Sandbox } from '../../sandbox';
import { createErpActivities } from '../../src/activities/erp';
import { createErpConnector, type ErpConnector } from '../../src/connectors/erp';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';

async function applicationFailure(call: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the activity to fail');
}

describe('activities: ERP', () => {
  let sandbox: Sandbox;
  let erp: ErpConnector;
  let activities: ReturnType<typeof createErpActivities>;

  before(async () => {
    sandbox = await startTestSandbox(['erpCloud', 'erpLegacy']);
    erp = createErpConnector(configFor(sandbox));
    activities = createErpActivities(erp);
  });
  after(async () => {
    erp.shutdown();
    await sandbox.close();
  });

  it('getOrder returns the canonical order', async () => {
    const order = await activities.getOrder('SO-100002');
    assert.equal(order.orderNumber, 'SO-100002');
    assert.equal(order.total.currency, sandbox.world().orders[1].currency);
  });

  it('turns a rate limit into a retryable failure whose next retry waits for Retry-After', async () => {
    await admin(sandbox.urls.erpCloud!).fault({ kind: 'rate-limit', path: '/api/v2/orders', retryAfterSeconds: 5, count: 1 });
    const failure = await applicationFailure(activities.getOrder('SO-100002'));
    assert.deepEqual([failure.type, failure.nonRetryable, failure.nextRetryDelay], ['RateLimitedError', false, 5000]);
  });

  it('turns insufficient stock into a non-retryable BusinessRejectionError', async () => {
    const sold = sandbox.world().stock.find((s) => s.onHand === 0)!;
    const failure = await applicationFailure(activities.reserveStock({ warehouseId: sold.warehouseId, lines: [{ sku: sold.sku, quantity: 1 }] }, 'replacement/case-1:reserveStock'));
    assert.deepEqual([failure.type, failure.nonRetryable], ['BusinessRejectionError', true]);
  });

  it('refuses a malformed request without calling the ERP', async () => {
    const legacy = admin(sandbox.urls.erpLegacy!);
    const before = (await legacy.requests()).count;
    const failure = await applicationFailure(
      activities.draftCreditMemo({ customerId: 'C-1', orderNumber: 'SO-1', amount: { amount: 12.5, currency: 'USD' }, reason: 'x' }, 'refund/case-2:draftCreditMemo'),
    );
    assert.deepEqual([failure.type, failure.nonRetryable], ['ValidationError', true]);
    assert.equal((await legacy.requests()).count, before);
  });

  it('drafts and posts a credit memo through the routed connector', async () => {
    const memo = await activities.draftCreditMemo({ customerId: 'C-000003', orderNumber: 'SO-100003', amount: { amount: 990, currency: 'USD' }, reason: 'damaged', businessDate: '2031-07-01' }, 'refund/case-3:draftCreditMemo');
    const posted = await activities.postCreditMemo(memo.creditMemoId, 'refund/case-3:postCreditMemo');
    assert.equal(posted.status, 'posted');
    assert.deepEqual((await activities.listCreditMemos('2031-07-01')).map((m) => m.creditMemoId), [memo.creditMemoId]);
    assert.equal((await activities.listErpLedgerEntries('2031-07-01')).length, 2);
  });
});
