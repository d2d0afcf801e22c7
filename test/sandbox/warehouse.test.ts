import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { Sandbox } from '../../sandbox';
import { admin, startTestSandbox, startWebhookReceiver } from '../helpers/sandbox';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('warehouse sandbox (WMS)', () => {
  let sandbox: Sandbox;
  let url: string;
  let ops: ReturnType<typeof admin>;
  const auth = { authorization: 'Bearer wms-sandbox-key' };

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const inStock = () => sandbox.world().stock.find((s) => s.warehouseId === 'DC-01' && s.onHand >= 5)!;

  before(async () => {
    sandbox = await startTestSandbox(['warehouse']);
    url = sandbox.urls.warehouse!;
    ops = admin(url);
  });
  after(async () => sandbox.close());
  beforeEach(async () => ops.reset());

  it('answers 401 in its own error dialect without or with a wrong token', async () => {
    const missing = await call('GET', '/wms/v1/allocations?orderNumber=SO-100001', undefined, { authorization: '' });
    assert.equal(missing.status, 401);
    assert.deepEqual(Object.keys(missing.body).sort(), ['errorCode', 'errorMessage', 'status']);
    assert.equal(missing.body.status, 'error');
    assert.equal(missing.body.errorCode, 'UNAUTHORIZED');
    const wrong = await call('GET', '/wms/v1/allocations?orderNumber=SO-100001', undefined, { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
  });

  it('knows the world: shipments with events for shipped orders, allocations for allocated ones', async () => {
    const world = sandbox.world();
    const shipped = world.shipments[0];
    const res = await call('GET', `/wms/v1/orders/${shipped.orderNumber}/shipments`);
    assert.equal(res.status, 200);
    assert.equal(res.body.shipments.length, 1);
    assert.equal(res.body.shipments[0].trackingNumber, shipped.trackingNumber);
    assert.equal(res.body.shipments[0].events[0].eventType, 'SHIPPED');
    const one = await call('GET', `/wms/v1/shipments/${shipped.shipmentId}`);
    assert.equal(one.body.id, shipped.shipmentId);
    assert.equal((await call('GET', '/wms/v1/shipments/SHP-NOPE')).body.errorCode, 'SHIPMENT_NOT_FOUND');

    const allocated = world.orders.find((o) => o.status === 'allocated')!;
    const alloc = await call('GET', `/wms/v1/allocations?orderNumber=${allocated.orderNumber}`);
    assert.equal(alloc.body.allocations.length, allocated.lines.length);
    assert.ok(alloc.body.allocations.every((a: Json) => a.allocationStatus === 'ALLOCATED'));
    assert.equal((await call('GET', '/wms/v1/allocations')).status, 400);
  });

  it('creates a release once per Idempotency-Key and cancels it before shipping, idempotently', async () => {
    const stock = inStock();
    const request = { replacementOrderNumber: 'RO-900001', warehouseId: 'DC-01', lines: [{ sku: stock.sku, quantity: 1 }] };
    const first = await call('POST', '/wms/v1/releases', request, { 'idempotency-key': 'replacement/1:release' });
    assert.equal(first.status, 201);
    assert.equal(first.body.status, 'RELEASED');
    assert.equal(first.body.type, 'REPLACEMENT');
    const replay = await call('POST', '/wms/v1/releases', request, { 'idempotency-key': 'replacement/1:release' });
    assert.equal(replay.body.id, first.body.id);
    const duplicate = await call('POST', '/wms/v1/releases', request);
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.errorCode, 'DUPLICATE_RELEASE');
    assert.equal((await ops.ledger({ kind: 'release.created' })).count, 1);

    const cancelled = await call('POST', `/wms/v1/releases/${first.body.id}/cancel`, {});
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'CANCELLED');
    const twice = await call('POST', `/wms/v1/releases/${first.body.id}/cancel`, {});
    assert.equal(twice.status, 200);
    assert.equal((await ops.ledger({ kind: 'release.cancelled' })).count, 1);
    const alloc = await call('GET', '/wms/v1/allocations?orderNumber=RO-900001');
    assert.equal(alloc.body.allocations[0].allocationStatus, 'DEALLOCATED');
  });

  it('refuses to cancel a release after it shipped (409) and shows the new shipment', async () => {
    const stock = inStock();
    const created = await call('POST', '/wms/v1/releases', { orderNumber: 'SO-NEW-1', warehouseId: 'DC-01', lines: [{ sku: stock.sku, quantity: 2 }] });
    const advanced = await call('POST', `/__sandbox/warehouse/releases/${created.body.id}/advance`, { to: 'shipped' });
    assert.equal(advanced.status, 200);
    assert.equal(advanced.body.release.status, 'SHIPPED');
    assert.deepEqual(advanced.body.events.map((e: Json) => e.eventType), ['RELEASE_PICKED', 'RELEASE_PACKED', 'SHIPPED']);
    const tracking = advanced.body.shipment.trackingNumber as string;
    assert.match(tracking, /^[A-Z]{2}[0-9A-F]{12}$/);

    const refused = await call('POST', `/wms/v1/releases/${created.body.id}/cancel`, {});
    assert.equal(refused.status, 409);
    assert.equal(refused.body.errorCode, 'RELEASE_ALREADY_SHIPPED');
    assert.equal((await ops.ledger({ kind: 'release.cancelled' })).count, 0);
    assert.equal((await ops.ledger({ kind: 'shipment.created' })).count, 1);

    const shipments = await call('GET', '/wms/v1/orders/SO-NEW-1/shipments');
    assert.equal(shipments.body.shipments[0].trackingNumber, tracking);
    const delivered = await call('POST', `/__sandbox/warehouse/releases/${created.body.id}/advance`, { to: 'delivered' });
    assert.equal(delivered.body.shipment.status, 'DELIVERED');
    assert.deepEqual(delivered.body.shipment.events.map((e: Json) => e.eventType), ['SHIPPED', 'DELIVERED']);
    const backwards = await call('POST', `/__sandbox/warehouse/releases/${created.body.id}/advance`, { to: 'packed' });
    assert.equal(backwards.status, 409);
  });

  it('rejects releases it cannot fill: unknown warehouse or SKU (422), no stock (409)', async () => {
    const soldOut = sandbox.world().stock.find((s) => s.onHand === 0)!;
    const noStock = await call('POST', '/wms/v1/releases', { orderNumber: 'SO-NEW-2', warehouseId: soldOut.warehouseId, lines: [{ sku: soldOut.sku, quantity: 1 }] });
    assert.equal(noStock.status, 409);
    assert.equal(noStock.body.errorCode, 'INSUFFICIENT_STOCK');
    const badWarehouse = await call('POST', '/wms/v1/releases', { orderNumber: 'SO-NEW-2', warehouseId: 'DC-99', lines: [{ sku: soldOut.sku, quantity: 1 }] });
    assert.equal(badWarehouse.status, 422);
    assert.equal(badWarehouse.body.errorCode, 'UNKNOWN_WAREHOUSE');
    const badSku = await call('POST', '/wms/v1/releases', { orderNumber: 'SO-NEW-2', warehouseId: 'DC-01', lines: [{ sku: 'SKU-NOPE', quantity: 1 }] });
    assert.equal(badSku.body.errorCode, 'UNKNOWN_SKU');
    const both = await call('POST', '/wms/v1/releases', { orderNumber: 'A', replacementOrderNumber: 'B', warehouseId: 'DC-01', lines: [{ sku: soldOut.sku, quantity: 1 }] });
    assert.equal(both.status, 400);
    assert.equal((await ops.ledger({ kind: 'release.created' })).count, 0);
  });

  it('records a return receipt once per key and restocks sellable goods', async () => {
    const stock = inStock();
    const body = { rmaNumber: 'RMA-1', warehouseId: 'DC-01', condition: 'new', lines: [{ sku: stock.sku, quantity: 1 }] };
    const first = await call('POST', '/wms/v1/return-receipts', body, { 'idempotency-key': 'refund/1:receipt' });
    assert.equal(first.status, 201);
    assert.equal(first.body.restocked, true);
    const replay = await call('POST', '/wms/v1/return-receipts', body, { 'idempotency-key': 'refund/1:receipt' });
    assert.equal(replay.body.id, first.body.id);
    assert.equal((await ops.ledger({ kind: 'returnReceipt.created' })).count, 1);
    const damaged = await call('POST', '/wms/v1/return-receipts', { ...body, condition: 'damaged' });
    assert.equal(damaged.body.restocked, false);
    const list = await call('GET', '/wms/v1/return-receipts?rmaNumber=RMA-1');
    assert.equal(list.body.receipts.length, 2);
  });

  it('writes injected faults in its own dialect', async () => {
    await ops.fault({ kind: 'outage', path: '/wms/v1/orders', durationMs: 5000 });
    const down = await call('GET', '/wms/v1/orders/SO-100001/shipments');
    assert.equal(down.status, 503);
    assert.equal(down.body.status, 'error');
    assert.equal(down.body.errorCode, 'service_unavailable');
  });

  describe('shipment-event webhooks', () => {
    let hooked: Sandbox;
    let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
    const received = () => receiver.received;

    before(async () => {
      receiver = await startWebhookReceiver(202);
      hooked = await startTestSandbox(['warehouse'], { webhookUrl: `${receiver.url}/v1/events/warehouse`, webhookSecret: 'whsec_test' });
    });
    after(async () => {
      await hooked.close();
      await receiver.close();
    });

    it('sends one signed event per step when a release advances', async () => {
      const base = hooked.urls.warehouse!;
      const stock = sandbox.world().stock.find((s) => s.warehouseId === 'DC-02' && s.onHand >= 1)!;
      const created = await fetch(`${base}/wms/v1/releases`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ orderNumber: 'SO-HOOK-1', warehouseId: 'DC-02', lines: [{ sku: stock.sku, quantity: 1 }] }),
      });
      const release = (await created.json()) as Json;
      await fetch(`${base}/__sandbox/warehouse/releases/${release.id}/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'shipped' }) });
      await fetch(`${base}/__sandbox/warehouse/webhooks/flush`, { method: 'POST' });
      const events = received().map((r) => JSON.parse(r.body) as Json);
      assert.deepEqual(events.map((e) => e.type).sort(), ['release.packed', 'release.picked', 'shipment.shipped']);
      const shipped = events.find((e) => e.type === 'shipment.shipped')!;
      assert.equal(shipped.orderNumber, 'SO-HOOK-1');
      assert.match(shipped.trackingNumber, /^[A-Z]{2}/);
      for (const r of received()) {
        const [t, v1] = String(r.headers['x-retail-signature']).split(',').map((p) => p.split('=')[1]);
        assert.equal(v1, createHmac('sha256', 'whsec_test').update(`v1:warehouse:${t}:${r.body}`).digest('hex'));
      }
    });
  });
});
