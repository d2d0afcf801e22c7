import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import type { Sandbox } from '../../sandbox';
import { createPaymentsActivities, type PaymentsActivities } from '../../src/activities/payments';
import { createPaymentsConnector, type PaymentsConnector } from '../../src/connectors/payments';
import { money } from '../../src/domain/money';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';

async function applicationFailure(call: () => Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await call();
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the activity to fail');
}

describe('payments activities', () => {
  let sandbox: Sandbox;
  let connector: PaymentsConnector;
  let activities: PaymentsActivities;
  let ops: ReturnType<typeof admin>;

  before(async () => {
    sandbox = await startTestSandbox(['payments']);
    ops = admin(sandbox.urls.payments!);
    connector = createPaymentsConnector(configFor(sandbox));
    activities = createPaymentsActivities(connector);
  });
  after(async () => {
    connector.shutdown();
    await sandbox.close();
  });

  it('refunds through the pivot activity and turns refusals and rate limits into typed failures', async () => {
    const pay = sandbox.world().payments.find((p) => p.method === 'card')!;
    const refund = await activities.refundPayment({ paymentId: pay.paymentId, amount: money(500, pay.currency), idempotencyKey: 'refund/1:payment', metadata: { caseNumber: '1' } });
    assert.equal(refund.status, 'succeeded');
    assert.deepEqual((await activities.getPayment(pay.paymentId)).refunded, money(500, pay.currency));

    const refused = await applicationFailure(() => activities.refundPayment({ paymentId: pay.paymentId, amount: money(pay.amount, pay.currency), idempotencyKey: 'refund/2:payment' }));
    assert.equal(refused.type, 'BusinessRejectionError');
    assert.equal(refused.nonRetryable, true);

    await ops.fault({ kind: 'rate-limit', path: '/v1/refunds', retryAfterSeconds: 3, count: 1 });
    const limited = await applicationFailure(() => activities.refundPayment({ paymentId: pay.paymentId, amount: money(1, pay.currency), idempotencyKey: 'refund/3:payment' }));
    assert.equal(limited.type, 'RateLimitedError');
    assert.equal(limited.nonRetryable, false);
    assert.equal(limited.nextRetryDelay, 3000);
    assert.equal((await ops.ledger({ kind: 'refund.created' })).count, 1);
  });
});
