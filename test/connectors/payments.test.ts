import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sandbox } from '../../sandbox';
import { createPaymentsConnector, type PaymentsConnector } from '../../src/connectors/payments';
import { RetryableDownstreamError } from '../../src/domain/errors';
import { money } from '../../src/domain/money';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';
import { failure } from '../helpers/failures';

describe('payments connector over HTTP', () => {
  let sandbox: Sandbox;
  let payments: PaymentsConnector;
  let ops: ReturnType<typeof admin>;
  const card = (skip = 0) => sandbox.world().payments.filter((p) => p.method === 'card')[skip];

  before(async () => {
    sandbox = await startTestSandbox(['payments']);
    ops = admin(sandbox.urls.payments!);
    payments = createPaymentsConnector(configFor(sandbox, { DOWNSTREAM_TIMEOUT_MS: '400' }));
  });
  after(async () => {
    payments.shutdown();
    await sandbox.close();
  });
  beforeEach(async () => ops.reset());

  it('reads a payment as canonical money with settlement and what is left to refund', async () => {
    const pay = card();
    const before = await payments.getPayment(pay.paymentId);
    assert.equal(before.orderNumber, pay.orderNumber);
    assert.deepEqual(before.amount, money(pay.amount, pay.currency));
    assert.deepEqual(before.refunded, money(0, pay.currency));
    assert.equal(before.status, 'captured');
    assert.equal(before.settlement.status, pay.settledAt ? 'settled' : 'pending');
    await payments.createRefund(pay.paymentId, money(700, pay.currency), 'requested_by_customer', 'k-read');
    const after = await payments.getPayment(pay.paymentId);
    assert.deepEqual(after.refunded, money(700, pay.currency));
    assert.deepEqual(after.refundable, money(pay.amount - 700, pay.currency));
  });

  it('refunds exactly once for the same idempotency key and returns the same refund', async () => {
    const pay = card();
    const amount = money(1234, pay.currency);
    const first = await payments.createRefund(pay.paymentId, amount, 'requested_by_customer', 'refund/00010001:payment-refund', { caseNumber: '00010001' });
    const second = await payments.createRefund(pay.paymentId, amount, 'requested_by_customer', 'refund/00010001:payment-refund', { caseNumber: '00010001' });
    assert.equal(second.refundId, first.refundId);
    assert.deepEqual(first.amount, amount);
    assert.equal(first.paymentId, pay.paymentId);
    assert.equal(first.metadata.caseNumber, '00010001');
    const ledger = await ops.ledger({ kind: 'refund.created' });
    assert.equal(ledger.count, 1);
    assert.equal(ledger.entries[0].ref, first.refundId);
  });

  it('does not follow a redirect: a refund sent to a moved address fails as a ConfigurationError and reaches nobody', async () => {
    // An address that answers every request with a 307 to the real payments API (307 keeps the method and body).
    let redirected = 0;
    const mover = createServer((req, res) => {
      redirected++;
      req.resume();
      res.writeHead(307, { location: `${sandbox.urls.payments}${req.url}` }).end();
    });
    await new Promise<void>((resolve) => mover.listen(0, '127.0.0.1', resolve));
    const moved = createPaymentsConnector(configFor({ urls: { ...sandbox.urls, payments: `http://127.0.0.1:${(mover.address() as AddressInfo).port}` } }));
    try {
      const pay = card();
      const refused = await failure(() => moved.createRefund(pay.paymentId, money(500, pay.currency), 'requested_by_customer', 'refund/00010002:payment-refund'));
      assert.equal(refused.type, 'ConfigurationError');
      assert.equal(refused.retryable, false);
      assert.match(refused.message, /redirected to http:\/\/127\.0\.0\.1:\d+\/.*not followed/);
      assert.equal(redirected, 1);
      assert.equal((await ops.ledger({ kind: 'refund.created' })).count, 0, 'the redirect target was called');
    } finally {
      moved.shutdown();
      await new Promise((resolve) => mover.close(resolve));
    }
  });

  it('classifies the same key with a changed body as a non-retryable IdempotencyConflictError', async () => {
    const pay = card();
    await payments.createRefund(pay.paymentId, money(100, pay.currency), 'requested_by_customer', 'k-conflict');
    const err = await failure(() => payments.createRefund(pay.paymentId, money(200, pay.currency), 'requested_by_customer', 'k-conflict'));
    assert.equal(err.type, 'IdempotencyConflictError');
    assert.equal(err.retryable, false);
    assert.equal((await ops.ledger({ kind: 'refund.created' })).count, 1);
  });

  it('classifies a key still in flight (409 idempotency_key_in_use) as retryable', async () => {
    const pay = card();
    const url = sandbox.urls.payments!;
    await fetch(`${url}/__sandbox/payments/processing-delay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms: 250, count: 1 }) });
    try {
      const results = await Promise.allSettled([
        payments.createRefund(pay.paymentId, money(100, pay.currency), 'requested_by_customer', 'k-race'),
        new Promise((resolve) => setTimeout(resolve, 60)).then(() => payments.createRefund(pay.paymentId, money(100, pay.currency), 'requested_by_customer', 'k-race')),
      ]);
      assert.equal(results[0].status, 'fulfilled');
      assert.equal(results[1].status, 'rejected');
      const err = (results[1] as PromiseRejectedResult).reason as RetryableDownstreamError;
      assert.equal(err.code, 'idempotency_key_in_use');
      assert.equal(err.retryable, true);
      assert.equal(err.type, 'DownstreamUnavailableError');
      assert.ok((err.retryAfterMs ?? 0) > 0);
      // The retry after the first finished gets the first's refund.
      const retried = await payments.createRefund(pay.paymentId, money(100, pay.currency), 'requested_by_customer', 'k-race');
      assert.equal(retried.refundId, (results[0] as PromiseFulfilledResult<{ refundId: string }>).value.refundId);
      assert.equal((await ops.ledger({ kind: 'refund.created' })).count, 1);
    } finally {
      await fetch(`${url}/__sandbox/payments/processing-delay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms: 0 }) });
    }
  });

  it('classifies each fault class with its retry delay', async () => {
    const pay = card();
    await ops.fault({ kind: 'rate-limit', path: '/v1/refunds', retryAfterSeconds: 3, count: 1 });
    const limited = await failure(() => payments.createRefund(pay.paymentId, money(1, pay.currency), 'requested_by_customer', 'k-429'));
    assert.equal(limited.type, 'RateLimitedError');
    assert.equal(limited.retryable, true);
    assert.equal((limited as RetryableDownstreamError).retryAfterMs, 3000);

    await ops.fault({ kind: 'outage', path: '/v1/payment_intents', durationMs: 60_000, count: 1 });
    const outage = await failure(() => payments.getPayment(pay.paymentId));
    assert.equal(outage.type, 'DownstreamUnavailableError');
    assert.equal(outage.status, 503);
    assert.equal(outage.retryable, true);

    await ops.fault({ kind: 'reset', path: '/v1/payment_intents', count: 1 });
    const reset = await failure(() => payments.getPayment(pay.paymentId));
    assert.equal(reset.type, 'DownstreamUnavailableError');
    assert.equal(reset.status, undefined);

    await ops.fault({ kind: 'latency', path: '/v1/payment_intents', latencyMs: 1200, count: 1 });
    const slow = await failure(() => payments.getPayment(pay.paymentId));
    assert.equal(slow.type, 'TimeoutError');
    assert.equal(slow.retryable, true);

    const missing = await failure(() => payments.getPayment('pay_doesnotexist'));
    assert.equal(missing.type, 'NotFoundError');
    assert.equal(missing.retryable, false);
    assert.equal((await ops.ledger({ kind: 'refund.created' })).count, 0);
  });

  it('names refunds beyond the remaining amount a non-retryable BusinessRejectionError', async () => {
    const pay = card();
    const tooMuch = await failure(() => payments.createRefund(pay.paymentId, money(pay.amount + 1, pay.currency), 'requested_by_customer', 'k-big'));
    assert.equal(tooMuch.type, 'BusinessRejectionError');
    assert.equal(tooMuch.code, 'amount_too_large');
    assert.equal(tooMuch.retryable, false);
    await payments.createRefund(pay.paymentId, money(pay.amount, pay.currency), 'requested_by_customer', 'k-all');
    const none = await failure(() => payments.createRefund(pay.paymentId, money(1, pay.currency), 'requested_by_customer', 'k-more'));
    assert.equal(none.code, 'charge_already_refunded');
    assert.equal(none.type, 'BusinessRejectionError');
    const invalid = await failure(() => payments.createRefund(pay.paymentId, money(0, pay.currency), 'requested_by_customer', 'k-zero'));
    assert.equal(invalid.type, 'ValidationError');
  });

  it('lists every refund of a window across pages and cancels a pending one', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const pay = card(3);
    for (let i = 0; i < 103; i++) await payments.createRefund(pay.paymentId, money(1, pay.currency), 'requested_by_customer', `k-list-${i}`);
    const since = await ops.mark();
    const all = await payments.listRefunds({ from, to: new Date(Date.now() + 1000).toISOString() });
    assert.equal(all.length, 103);
    assert.equal(new Set(all.map((r) => r.refundId)).size, 103);
    const listCalls = (await ops.requests(since)).requests.filter((r) => r.path === '/v1/refunds' && r.method === 'GET');
    assert.equal(listCalls.length, 2);
    const empty = await payments.listRefunds({ from: '2000-01-01T00:00:00.000Z', to: '2000-01-02T00:00:00.000Z' });
    assert.equal(empty.length, 0);

    const wallet = sandbox.world().payments.find((p) => p.method === 'paypal')!;
    const pending = await payments.createRefund(wallet.paymentId, money(100, wallet.currency), 'requested_by_customer', 'k-pending');
    assert.equal(pending.status, 'pending');
    const cancelled = await payments.cancelRefund(pending.refundId, 'k-pending:cancel');
    assert.equal(cancelled.status, 'cancelled');
    assert.equal((await payments.getRefund(pending.refundId)).status, 'cancelled');
    assert.equal((await ops.ledger({ kind: 'refund.cancelled' })).count, 1);
  });

  describe('circuit breaker', () => {
    let guarded: PaymentsConnector;
    before(() => {
      guarded = createPaymentsConnector(configFor(sandbox, { BREAKER_VOLUME: '3', BREAKER_RESET_MS: '2000' }));
    });
    after(() => guarded.shutdown());

    it('opens after repeated 503s, fails fast with the cool-down as delay, and closes after recovery', async () => {
      const pay = card();
      await ops.fault({ kind: 'outage', path: '/v1/payment_intents', durationMs: 60_000 });
      for (let i = 0; i < 3; i++) assert.equal((await failure(() => guarded.getPayment(pay.paymentId))).type, 'DownstreamUnavailableError');
      const before = (await ops.requests()).count;
      const open = await failure(() => guarded.getPayment(pay.paymentId));
      assert.equal(open.type, 'CircuitOpenError');
      assert.equal(open.retryable, true);
      const delay = (open as RetryableDownstreamError).retryAfterMs ?? 0;
      assert.ok(delay > 1000 && delay <= 2000, `cool-down ${delay} ms`);
      assert.equal((await ops.requests()).count, before, 'an open circuit does not call the system');

      await ops.clearFaults();
      await new Promise((resolve) => setTimeout(resolve, delay + 100));
      const recovered = await guarded.getPayment(pay.paymentId);
      assert.equal(recovered.paymentId, pay.paymentId);
      assert.equal((await guarded.getPayment(pay.paymentId)).paymentId, pay.paymentId);
    });
  });
});
