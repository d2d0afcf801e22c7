import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { Sandbox } from '../../sandbox';
import { admin, startTestSandbox, startWebhookReceiver } from '../helpers/sandbox';

const KEY = 'erp-sandbox-key';

describe('sandbox: cloud ERP', () => {
  let sandbox: Sandbox;
  let base: string;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const received = () => receiver.received;

  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-api-key': KEY, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  before(async () => {
    receiver = await startWebhookReceiver(204);
    sandbox = await startTestSandbox(['erpCloud'], { webhookUrl: `${receiver.url}/v1/events/erp`, webhookSecret: { erp: 'whsec-test', warehouse: 'whsec-other' } });
    base = sandbox.urls.erpCloud!;
  });
  after(async () => {
    await sandbox.close();
    await receiver.close();
  });

  it('answers 401 in its own error dialect without the right x-api-key', async () => {
    for (const headers of [{}, { 'x-api-key': 'wrong' }] as Record<string, string>[]) {
      const res = await fetch(`${base}/api/v2/orders/SO-100001`, { headers });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    }
  });

  it('serves orders seeded from the world and 404s unknown ones', async () => {
    const order = sandbox.world().orders[0];
    const found = await api('GET', `/api/v2/orders/${order.orderNumber}`);
    assert.equal(found.status, 200);
    assert.equal(found.body.customerNumber, order.customerId);
    assert.equal(found.body.lines.length, order.lines.length);
    const missing = await api('GET', '/api/v2/orders/SO-999999');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'ORDER_NOT_FOUND');
  });

  it('pages changed orders with a cursor, each order exactly once', async () => {
    const since = new Date(Date.parse(sandbox.world().baseDate) - 10 * 86_400_000).toISOString();
    const expected = sandbox.world().orders.filter((o) => o.placedAt >= since).map((o) => o.orderNumber).sort();
    assert.ok(expected.length > 7, 'the seed has enough recent orders to page');
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await api('GET', `/api/v2/orders?changedSince=${since}&pageSize=7${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      assert.ok(page.body.data.length <= 7);
      seen.push(...page.body.data.map((o: { orderNumber: string }) => o.orderNumber));
      cursor = page.body.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    assert.equal(pages, Math.ceil(expected.length / 7));
    assert.deepEqual([...seen].sort(), expected);
    assert.equal((await api('GET', `/api/v2/orders?changedSince=${since}&cursor=garbage`)).body.error.code, 'INVALID_CURSOR');
    assert.equal((await api('GET', '/api/v2/orders')).status, 400);
  });

  it('reserves stock, rejects reserving beyond availability with 409 INSUFFICIENT_STOCK, and releases once', async () => {
    const stock = sandbox.world().stock.find((s) => s.onHand >= 5)!;
    const availability = async () => (await api('GET', `/api/v2/inventory/availability?skus=${stock.sku}&warehouseId=${stock.warehouseId}`)).body.data[0];
    const before = await availability();
    const tooMuch = await api('POST', '/api/v2/reservations', { warehouseId: stock.warehouseId, lines: [{ sku: stock.sku, qty: before.available + 1 }] }, { 'idempotency-key': 'rsv-too-much' });
    assert.equal(tooMuch.status, 409);
    assert.equal(tooMuch.body.error.code, 'INSUFFICIENT_STOCK');
    assert.equal(tooMuch.body.error.details.available, before.available);

    const created = await api('POST', '/api/v2/reservations', { warehouseId: stock.warehouseId, lines: [{ sku: stock.sku, qty: 2 }] }, { 'idempotency-key': 'rsv-1' });
    assert.equal(created.status, 201);
    assert.equal((await availability()).available, before.available - 2);
    for (const key of ['rel-1', 'rel-2']) {
      const released = await api('POST', `/api/v2/reservations/${created.body.id}/release`, undefined, { 'idempotency-key': key });
      assert.equal(released.body.status, 'RELEASED');
    }
    assert.equal((await availability()).available, before.available);
    assert.equal((await admin(base).ledger({ kind: 'reservation.released', ref: created.body.id })).count, 1);
  });

  it('consumes a shipped reservation once (on-hand and reserved both go down), and refuses to release it or to consume a released one', async () => {
    const stock = sandbox.world().stock.find((s) => s.onHand >= 5)!;
    const level = async () => (await api('GET', `/api/v2/inventory/availability?skus=${stock.sku}&warehouseId=${stock.warehouseId}`)).body.data[0];
    const before = await level();
    const created = await api('POST', '/api/v2/reservations', { warehouseId: stock.warehouseId, lines: [{ sku: stock.sku, qty: 2 }] }, { 'idempotency-key': 'rsv-consume' });
    const held = await level();
    for (const key of ['con-1', 'con-2']) {
      const consumed = await api('POST', `/api/v2/reservations/${created.body.id}/consume`, undefined, { 'idempotency-key': key });
      assert.equal(consumed.status, 200);
      assert.equal(consumed.body.status, 'CONSUMED');
    }
    const after = await level();
    // Available already fell when the stock was reserved; shipping it changes nothing more.
    assert.deepEqual([after.onHand, after.reserved, after.available], [before.onHand - 2, before.reserved, held.available]);
    assert.equal(held.available, before.available - 2);
    assert.equal((await admin(base).ledger({ kind: 'reservation.consumed', ref: created.body.id })).count, 1);
    const release = await api('POST', `/api/v2/reservations/${created.body.id}/release`, undefined, { 'idempotency-key': 'rel-consumed' });
    assert.equal(release.status, 409);
    assert.equal(release.body.error.code, 'RESERVATION_CONSUMED');

    const other = await api('POST', '/api/v2/reservations', { warehouseId: stock.warehouseId, lines: [{ sku: stock.sku, qty: 1 }] }, { 'idempotency-key': 'rsv-released' });
    await api('POST', `/api/v2/reservations/${other.body.id}/release`, undefined, { 'idempotency-key': 'rel-other' });
    const late = await api('POST', `/api/v2/reservations/${other.body.id}/consume`, undefined, { 'idempotency-key': 'con-released' });
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, 'RESERVATION_RELEASED');
    assert.deepEqual(await level(), after);
  });

  it('replays a create for the same Idempotency-Key and answers 409 for the same key with other parameters', async () => {
    const body = { warehouseId: 'DC-01', lines: [{ sku: 'SKU-00001', qty: 1 }] };
    const first = await api('POST', '/api/v2/reservations', body, { 'idempotency-key': 'rsv-replay' });
    const second = await api('POST', '/api/v2/reservations', body, { 'idempotency-key': 'rsv-replay' });
    assert.equal(second.status, 201);
    assert.equal(second.body.id, first.body.id);
    assert.equal((await admin(base).ledger({ kind: 'reservation.created', key: 'rsv-replay' })).count, 1);
    const conflict = await api('POST', '/api/v2/reservations', { ...body, lines: [{ sku: 'SKU-00001', qty: 2 }] }, { 'idempotency-key': 'rsv-replay' });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.error.code, 'idempotency_error');
  });

  it('authorizes returns only for returnable SKUs and quantities still on the order', async () => {
    const world = sandbox.world();
    const nonReturnable = new Set(world.products.filter((p) => !p.returnable).map((p) => p.sku));
    const order = world.orders.find((o) => o.status === 'delivered' && o.lines.some((l) => !nonReturnable.has(l.sku)))!;
    const line = order.lines.find((l) => !nonReturnable.has(l.sku))!;
    const tooMany = await api('POST', '/api/v2/return-authorizations', { orderNumber: order.orderNumber, lines: [{ sku: line.sku, qty: line.quantity + 1 }] });
    assert.equal(tooMany.status, 409);
    assert.equal(tooMany.body.error.code, 'QUANTITY_EXCEEDS_ORDERED');
    const rma = await api('POST', '/api/v2/return-authorizations', { orderNumber: order.orderNumber, lines: [{ sku: line.sku, qty: line.quantity }] }, { 'idempotency-key': 'rma-1' });
    assert.equal(rma.status, 201);
    // The whole quantity is now authorized, so a second RMA for the same line is refused.
    assert.equal((await api('POST', '/api/v2/return-authorizations', { orderNumber: order.orderNumber, lines: [{ sku: line.sku, qty: 1 }] })).body.error.code, 'QUANTITY_EXCEEDS_ORDERED');
    assert.equal((await api('POST', `/api/v2/return-authorizations/${rma.body.id}/cancel`)).body.status, 'CANCELLED');

    const withBlocked = world.orders.find((o) => o.status !== 'cancelled' && o.lines.some((l) => nonReturnable.has(l.sku)))!;
    const blocked = withBlocked.lines.find((l) => nonReturnable.has(l.sku))!;
    const refused = await api('POST', '/api/v2/return-authorizations', { orderNumber: withBlocked.orderNumber, lines: [{ sku: blocked.sku, qty: 1 }] });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'RETURN_NOT_ALLOWED');
  });

  it('moves a credit memo draft → posted → void, refuses posting a void memo, and writes balanced ledger entries', async () => {
    const draft = await api('POST', '/api/v2/credit-memos', { customerNumber: 'C-000001', orderNumber: 'SO-100001', amount: '25.50', currency: 'USD', reason: 'damaged', businessDate: '2031-01-02' }, { 'idempotency-key': 'cm-1' });
    assert.equal(draft.status, 201);
    assert.equal(draft.body.status, 'DRAFT');
    const id = draft.body.id as string;
    assert.equal((await api('POST', `/api/v2/credit-memos/${id}/post`)).body.status, 'POSTED');
    assert.equal((await api('POST', `/api/v2/credit-memos/${id}/post`)).body.status, 'POSTED', 'posting again is a no-op');
    assert.equal((await admin(base).ledger({ kind: 'creditMemo.posted', ref: id })).count, 1);
    assert.equal((await api('POST', `/api/v2/credit-memos/${id}/void`)).body.status, 'VOID');
    const illegal = await api('POST', `/api/v2/credit-memos/${id}/post`);
    assert.equal(illegal.status, 409);
    assert.equal(illegal.body.error.code, 'INVALID_STATE');
    const ledger = await api('GET', '/api/v2/ledger-entries?businessDate=2031-01-02');
    const debit = ledger.body.data.filter((e: { direction: string }) => e.direction === 'DEBIT').length;
    assert.equal(ledger.body.data.length, 4, 'posting writes two lines, voiding reverses both');
    assert.equal(debit, 2);
    assert.equal((await api('GET', '/api/v2/credit-memos/CM-999999')).status, 404);
  });

  it('pages credit memos of a business date', async () => {
    for (let i = 0; i < 5; i++) {
      await api('POST', '/api/v2/credit-memos', { customerNumber: 'C-000002', orderNumber: 'SO-100002', amount: `${i + 1}.00`, currency: 'EUR', reason: 'goodwill', businessDate: '2031-02-03' });
    }
    const first = await api('GET', '/api/v2/credit-memos?businessDate=2031-02-03&pageSize=2');
    const second = await api('GET', `/api/v2/credit-memos?businessDate=2031-02-03&pageSize=2&cursor=${first.body.nextCursor}`);
    const third = await api('GET', `/api/v2/credit-memos?businessDate=2031-02-03&pageSize=2&cursor=${second.body.nextCursor}`);
    assert.deepEqual([first.body.data.length, second.body.data.length, third.body.data.length], [2, 2, 1]);
    assert.equal(third.body.nextCursor, null);
    const amounts = [...first.body.data, ...second.body.data, ...third.body.data].map((m: { amount: string }) => m.amount).sort();
    assert.deepEqual(amounts, ['1.00', '2.00', '3.00', '4.00', '5.00']);
  });

  it('sends a signed order.status_changed webhook when an order changes', async () => {
    const orderNumber = sandbox.world().orders.find((o) => o.status === 'allocated')!.orderNumber;
    const changed = await fetch(`${base}/__sandbox/erp/orders/${orderNumber}/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'shipped' }) });
    assert.equal(changed.status, 200);
    await fetch(`${base}/__sandbox/erp/webhooks/flush`, { method: 'POST' });
    const delivery = received().find((r) => JSON.parse(r.body).orderNumber === orderNumber)!;
    assert.ok(delivery, 'the webhook arrived');
    const event = JSON.parse(delivery.body);
    assert.equal(event.type, 'order.status_changed');
    assert.equal(event.status, 'shipped');
    assert.equal(event.sequence, 2);
    assert.equal(delivery.headers['x-retail-event-source'], 'erp');
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(delivery.headers['x-retail-signature']))!;
    // The ERP signs with its own secret, over its source, the timestamp and the body.
    assert.equal(v1, createHmac('sha256', 'whsec-test').update(`v1:erp:${t}:${delivery.body}`).digest('hex'));
    assert.equal((await api('GET', `/api/v2/orders/${orderNumber}`)).body.status, 'SHIPPED');
  });
});
