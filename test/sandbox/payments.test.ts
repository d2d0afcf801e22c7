import assert from 'node:assert/strict';
import type { Sandbox } from '../../sandbox';
import { admin, startTestSandbox } from '../helpers/sandbox';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('payments sandbox (Stripe-like refunds)', () => {
  let sandbox: Sandbox;
  let url: string;
  let ops: ReturnType<typeof admin>;
  const auth = { authorization: 'Bearer sk_test_sandbox' };

  const form = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
  };
  const get = async (path: string, headers: Record<string, string> = auth) => {
    const res = await fetch(`${url}${path}`, { headers });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
  };
  const payment = (method: 'card' | 'paypal' | 'gift-card', skip = 0) => sandbox.world().payments.filter((p) => p.method === method)[skip];

  before(async () => {
    sandbox = await startTestSandbox(['payments']);
    url = sandbox.urls.payments!;
    ops = admin(url);
  });
  after(async () => sandbox.close());
  beforeEach(async () => ops.reset());

  it('answers 401 in Stripe shape without or with a wrong key, and takes Basic auth too', async () => {
    const pay = payment('card');
    const missing = await get(`/v1/payment_intents/${pay.paymentId}`, {});
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error.type, 'invalid_request_error');
    const wrong = await get(`/v1/payment_intents/${pay.paymentId}`, { authorization: 'Bearer sk_test_wrong' });
    assert.equal(wrong.status, 401);
    const basic = await get(`/v1/payment_intents/${pay.paymentId}`, { authorization: `Basic ${Buffer.from('sk_test_sandbox:').toString('base64')}` });
    assert.equal(basic.status, 200);
  });

  it('serves the world payment as a payment intent with charge and settlement on expand', async () => {
    const pay = payment('card');
    const res = await get(`/v1/payment_intents/${pay.paymentId}?expand[]=latest_charge&expand[]=latest_charge.balance_transaction`);
    assert.equal(res.status, 200);
    assert.equal(res.body.object, 'payment_intent');
    assert.equal(res.body.amount, pay.amount);
    assert.equal(res.body.amount_received, pay.amount);
    assert.equal(res.body.currency, pay.currency.toLowerCase());
    assert.equal(res.body.metadata.order_number, pay.orderNumber);
    assert.equal(res.body.latest_charge.amount_refunded, 0);
    assert.equal(res.body.latest_charge.balance_transaction.status, pay.settledAt ? 'available' : 'pending');
    const plain = await get(`/v1/payment_intents/${pay.paymentId}`);
    assert.equal(typeof plain.body.latest_charge, 'string');
    const missing = await get('/v1/payment_intents/pay_doesnotexist');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'resource_missing');
  });

  it('refunds the remaining amount by default and refuses anything beyond it', async () => {
    const pay = payment('card', 1);
    const partial = await form('/v1/refunds', `payment_intent=${pay.paymentId}&amount=500&reason=requested_by_customer&metadata[case_number]=00010001`);
    assert.equal(partial.status, 200);
    assert.match(partial.body.id, /^re_/);
    assert.equal(partial.body.object, 'refund');
    assert.equal(partial.body.amount, 500);
    assert.equal(partial.body.status, 'succeeded');
    assert.deepEqual(partial.body.metadata, { case_number: '00010001' });

    const tooLarge = await form('/v1/refunds', `payment_intent=${pay.paymentId}&amount=${pay.amount}`);
    assert.equal(tooLarge.status, 400);
    assert.equal(tooLarge.body.error.type, 'invalid_request_error');
    assert.equal(tooLarge.body.error.code, 'amount_too_large');
    assert.equal(tooLarge.body.error.param, 'amount');

    const rest = await form('/v1/refunds', `payment_intent=${pay.paymentId}`);
    assert.equal(rest.status, 200);
    assert.equal(rest.body.amount, pay.amount - 500);

    const again = await form('/v1/refunds', `payment_intent=${pay.paymentId}&amount=1`);
    assert.equal(again.status, 400);
    assert.equal(again.body.error.code, 'charge_already_refunded');

    const charge = await get(`/v1/payment_intents/${pay.paymentId}?expand[]=latest_charge`);
    assert.equal(charge.body.latest_charge.amount_refunded, pay.amount);
    assert.equal(charge.body.latest_charge.refunded, true);
    assert.equal((await ops.ledger({ kind: 'refund.created' })).count, 2);
  });

  it('validates parameters with Stripe codes and params', async () => {
    const pay = payment('card');
    const noTarget = await form('/v1/refunds', 'amount=100');
    assert.equal(noTarget.status, 400);
    assert.equal(noTarget.body.error.code, 'parameter_missing');
    const badReason = await form('/v1/refunds', `payment_intent=${pay.paymentId}&reason=because`);
    assert.equal(badReason.status, 400);
    assert.equal(badReason.body.error.param, 'reason');
    const badAmount = await form('/v1/refunds', `payment_intent=${pay.paymentId}&amount=12.5`);
    assert.equal(badAmount.body.error.code, 'parameter_invalid_integer');
    const unknown = await form('/v1/refunds', 'payment_intent=pay_unknown&amount=1');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'resource_missing');
    assert.equal((await ops.ledger({ kind: 'refund.created' })).count, 0);
  });

  it('accepts JSON bodies as well as forms', async () => {
    const pay = payment('card');
    const res = await fetch(`${url}/v1/refunds`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ payment_intent: pay.paymentId, amount: 250, metadata: { order_number: pay.orderNumber } }),
    });
    const body = (await res.json()) as Json;
    assert.equal(res.status, 200);
    assert.equal(body.amount, 250);
    assert.equal(body.metadata.order_number, pay.orderNumber);
  });

  it('replays a key with the same parameters and refuses it with other ones', async () => {
    const pay = payment('card');
    const body = `payment_intent=${pay.paymentId}&amount=300`;
    const first = await form('/v1/refunds', body, { 'idempotency-key': 'case-1:refund' });
    const second = await form('/v1/refunds', body, { 'idempotency-key': 'case-1:refund' });
    assert.equal(second.status, 200);
    assert.equal(second.body.id, first.body.id);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    const other = await form('/v1/refunds', `payment_intent=${pay.paymentId}&amount=301`, { 'idempotency-key': 'case-1:refund' });
    assert.equal(other.status, 409);
    assert.equal(other.body.error.type, 'idempotency_error');
    const ledger = await ops.ledger({ kind: 'refund.created', key: 'case-1:refund' });
    assert.equal(ledger.count, 1);
    assert.equal(ledger.entries[0].ref, first.body.id);
    assert.equal(ledger.entries[0].data?.amount, 300);
    assert.equal(ledger.entries[0].data?.payment_intent, pay.paymentId);
  });

  it('lists refunds newest first with created filters and starting_after paging', async () => {
    const pay = payment('card', 2);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await form('/v1/refunds', `payment_intent=${pay.paymentId}&amount=${10 + i}`)).body.id);
    const seen: string[] = [];
    let cursor = '';
    let pages = 0;
    for (;;) {
      const page = await get(`/v1/refunds?payment_intent=${pay.paymentId}&limit=2${cursor ? `&starting_after=${cursor}` : ''}`);
      assert.equal(page.body.object, 'list');
      pages += 1;
      seen.push(...page.body.data.map((r: Json) => r.id));
      if (!page.body.has_more) break;
      cursor = page.body.data[page.body.data.length - 1].id;
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...ids].reverse());

    const now = Math.floor(Date.now() / 1000);
    const inWindow = await get(`/v1/refunds?created[gte]=${now - 60}&created[lte]=${now + 60}&limit=100`);
    assert.equal(inWindow.body.data.length, 5);
    const future = await get(`/v1/refunds?created[gte]=${now + 3600}`);
    assert.equal(future.body.data.length, 0);
    assert.equal(future.body.has_more, false);
    const badLimit = await get('/v1/refunds?limit=101');
    assert.equal(badLimit.status, 400);
    const one = await get(`/v1/refunds/${ids[0]}`);
    assert.equal(one.body.amount, 10);
    assert.equal((await get('/v1/refunds/re_missing')).status, 404);
  });

  it('cancels a pending refund once, giving the amount back, but not a succeeded one', async () => {
    const wallet = payment('paypal');
    const pending = await form('/v1/refunds', `payment_intent=${wallet.paymentId}&amount=100`);
    assert.equal(pending.body.status, 'pending');
    const cancelled = await form(`/v1/refunds/${pending.body.id}/cancel`, '', { 'idempotency-key': 'cancel-1' });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'canceled');
    const replay = await form(`/v1/refunds/${pending.body.id}/cancel`, '', { 'idempotency-key': 'cancel-1' });
    assert.equal(replay.body.status, 'canceled');
    assert.equal((await ops.ledger({ kind: 'refund.cancelled' })).count, 1);
    const charge = await get(`/v1/payment_intents/${wallet.paymentId}?expand[]=latest_charge`);
    assert.equal(charge.body.latest_charge.amount_refunded, 0);

    const card = payment('card');
    const done = await form('/v1/refunds', `payment_intent=${card.paymentId}&amount=100`);
    const refused = await form(`/v1/refunds/${done.body.id}/cancel`, '');
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.type, 'invalid_request_error');
  });

  it('writes injected faults in Stripe shape: 429 rate_limit_error with Retry-After', async () => {
    await ops.fault({ kind: 'rate-limit', path: '/v1/refunds', retryAfterSeconds: 3, count: 1 });
    const limited = await form('/v1/refunds', `payment_intent=${payment('card').paymentId}&amount=1`);
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.type, 'rate_limit_error');
    assert.equal(limited.headers.get('retry-after'), '3');
    assert.equal((await ops.ledger({ kind: 'refund.created' })).count, 0);
  });
});
