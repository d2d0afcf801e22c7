import assert from 'node:assert/strict';
import type { WorldOrder } from '../../sandbox/seed/world';
import { externalServicesViolations } from '../helpers/external-services';
import { createSalesforceConnector } from '../../src/connectors/salesforce';
import { admin } from '../helpers/sandbox';
import { testEnvTimeoutMs } from '../helpers/temporal';
import { assertProblem, keys, startApiWorld, type ApiWorld } from './api-world';

type Json = Record<string, unknown>;
const DAY_MS = 86_400_000;

/** Customer lookup, availability, prices and return authorizations over HTTP against the sandbox's Salesforce and ERP. */
describe('HTTP API: governed reads and return authorizations', function () {
  this.timeout(60_000);
  let world: ApiWorld;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    world = await startApiWorld({});
  });
  after(async () => {
    await world?.close();
  });
  afterEach(async () => {
    await Promise.all([admin(world.sandbox!.urls.erpCloud!).clearFaults(), admin(world.sandbox!.urls.salesforce!).clearFaults()]);
  });

  it('answers a customer from Salesforce with an ETag and Cache-Control, 304 when unchanged, 404 when unknown', async () => {
    const customer = world.sandbox!.world().customers[7];
    const reply = await world.call('GET', `/v1/customers/${customer.customerId}`, { key: keys.reader });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.body.customerId, customer.customerId);
    assert.equal(reply.body.name, `${customer.firstName} ${customer.lastName}`);
    assert.equal(reply.body.email, customer.email);
    assert.equal(reply.body.segment, customer.segment);
    assert.equal(reply.headers.get('cache-control'), 'private, max-age=60');
    const etag = reply.headers.get('etag');
    assert.match(String(etag), /^"[A-Za-z0-9_-]{27}"$/);

    const again = await world.call('GET', `/v1/customers/${customer.customerId}`, { key: keys.reader, headers: { 'if-none-match': `"other", ${etag}` } });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
    const other = await world.call('GET', `/v1/customers/${world.sandbox!.world().customers[8].customerId}`, { key: keys.reader, headers: { 'if-none-match': String(etag) } });
    assert.equal(other.status, 200, 'another customer\'s answer does not match the ETag');

    assertProblem(await world.call('GET', '/v1/customers/CUST-NOBODY', { key: keys.reader }), 404, 'customer-not-found');
    assertProblem(await world.call('GET', `/v1/customers/${customer.customerId}`, { key: null }), 401);
  });

  it('answers availability per SKU and location from the ERP beside what Salesforce shows, naming SKUs it has no stock for', async () => {
    const { stock } = world.sandbox!.world();
    const row = stock[3];
    // What the stock sync would have written: Salesforce shows an older count for one location.
    const sf = createSalesforceConnector(world.config);
    await sf.upsertStockAvailability([{ sku: row.sku, location: row.warehouseId, onHand: 7, reserved: 0, available: 7, source: 'erp', version: 1, changedAt: '2026-11-30T08:00:00.000Z' }]);
    sf.shutdown();
    const sameSku = stock.filter((s) => s.sku === row.sku);
    const all = await world.call('GET', `/v1/inventory/availability?skus=${row.sku},SKU-NOPE`, { key: keys.reader });
    assert.equal(all.status, 200, all.text);
    const rows = all.body.rows as Json[];
    assert.deepEqual(rows.map((r) => r.warehouseId).sort(), sameSku.map((s) => s.warehouseId).sort());
    assert.deepEqual(all.body.unknownSkus, ['SKU-NOPE']);
    assert.equal(all.headers.get('cache-control'), 'private, max-age=10');

    assert.equal(all.body.complete, true);
    assert.deepEqual(all.body.missing, []);
    const here = await world.call('GET', `/v1/inventory/availability?skus=${row.sku}&location=${row.warehouseId}`, { key: keys.reader });
    assert.deepEqual(here.body.rows, [{ sku: row.sku, warehouseId: row.warehouseId, onHand: row.onHand, reserved: row.reserved, available: row.onHand - row.reserved, salesforceAvailable: 7, salesforceChangedAt: '2026-11-30T08:00:00.000Z' }]);

    const missing = await world.call('GET', '/v1/inventory/availability', { key: keys.reader });
    assertProblem(missing, 400, 'validation');
    assert.equal((missing.body.errors as Json[])[0].path, 'query.skus');
    assertProblem(await world.call('GET', `/v1/inventory/availability?skus=${row.sku},${row.sku}`, { key: keys.reader }), 400, 'validation');
    // A location the ERP does not know is the caller's mistake, not a late system.
    assertProblem(await world.call('GET', `/v1/inventory/availability?skus=${row.sku}&location=WH-NOWHERE`, { key: keys.reader }), 404, 'location-not-found');
  });

  it('answers without the ERP when it is past its deadline (partial, not cached), and 503 when neither system answers', async () => {
    const sku = world.sandbox!.world().stock[0].sku;
    await admin(world.sandbox!.urls.erpCloud!).fault({ kind: 'latency', path: '/api/v2/inventory/', latencyMs: 5000 });
    let started = Date.now();
    const partial = await world.call('GET', `/v1/inventory/availability?skus=${sku}`, { key: keys.reader });
    assert.ok(Date.now() - started < 4000, `answered in ${Date.now() - started} ms`);
    assert.equal(partial.status, 200, partial.text);
    assert.equal(partial.body.complete, false);
    assert.deepEqual((partial.body.missing as Json[]).map((m) => m.source), ['erp']);
    assert.equal(partial.headers.get('cache-control'), 'no-store');
    assert.equal(partial.headers.get('etag'), null);

    await admin(world.sandbox!.urls.salesforce!).fault({ kind: 'latency', path: '/services/data/*/query', latencyMs: 5000 });
    started = Date.now();
    const none = await world.call('GET', `/v1/inventory/availability?skus=${sku}`, { key: keys.reader });
    assertProblem(none, 503, 'system-unavailable');
    assert.ok(Date.now() - started < 4000, `answered in ${Date.now() - started} ms`);
  });

  it('answers prices now, and refuses another moment the ERP cannot price', async () => {
    const product = world.sandbox!.world().products[2];
    const reply = await world.call('GET', `/v1/prices?skus=${product.sku}`, { key: keys.reader });
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual((reply.body.prices as Json[]).map((p) => [p.sku, p.currencyIsoCode, p.returnable]), [[product.sku, product.currency, product.returnable]]);
    assert.equal(reply.headers.get('cache-control'), 'private, max-age=300');
    const etag = String(reply.headers.get('etag'));
    assert.equal((await world.call('GET', `/v1/prices?skus=${product.sku}`, { key: keys.reader, headers: { 'if-none-match': etag } })).status, 304);

    const past = await world.call('GET', `/v1/prices?skus=${product.sku}&at=2020-01-01T00:00:00Z`, { key: keys.reader });
    assertProblem(past, 422, 'prices-not-effective-dated');
    assertProblem(await world.call('GET', `/v1/prices?skus=${product.sku}&at=yesterday`, { key: keys.reader }), 400, 'validation');
  });

  it('prices a later moment from the ERP\'s scheduled list prices and promotions', async () => {
    const product = world.sandbox!.world().products[5];
    const erp = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${world.sandbox!.urls.erpCloud}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.ok(res.ok, `${path}: ${res.status} ${await res.text()}`);
    };
    const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
    await erp('PUT', `/__sandbox/erp/price-lists/LIST-STD-USD/prices/${product.sku}`, { unitPrice: '50.00', effectiveFrom: inHours(2) });
    await erp('POST', '/__sandbox/erp/promotions', { promotionId: 'PROMO-AT', name: 'Later', skus: [product.sku], percentOff: 20, startAt: inHours(3), endAt: inHours(5) });
    const price = async (at: string) => {
      const reply = await world.call('GET', `/v1/prices?skus=${product.sku}&at=${encodeURIComponent(at)}`, { key: keys.reader });
      assert.equal(reply.status, 200, reply.text);
      return reply.body as { prices: Json[]; unknownSkus: string[] };
    };
    assert.deepEqual((await price(inHours(1))).unknownSkus, [product.sku], 'the old price was replaced by one not yet in force');
    const later = (await price(inHours(2.5))).prices[0];
    assert.deepEqual([later.unitPriceAmount, later.promotionId], [5000, undefined]);
    const during = (await price(inHours(4))).prices[0];
    assert.deepEqual([during.unitPriceAmount, during.promotionId, during.promotionalPriceAmount], [5000, 'PROMO-AT', 4000]);
    assert.equal((await price(inHours(6))).prices[0].promotionId, undefined, 'over by then');
  });

  describe('POST /v1/return-authorizations', () => {
    const eligible = (o: WorldOrder) => o.status === 'delivered' && Date.now() - Date.parse(o.placedAt) < 20 * DAY_MS;
    const returnableLine = (o: WorldOrder) => o.lines.find((l) => world.sandbox!.world().products.find((p) => p.sku === l.sku)?.returnable);

    it('creates the authorization once per Idempotency-Key: the same request answers the same one, another request under the key is a 409', async () => {
      const order = world.sandbox!.world().orders.filter((o) => eligible(o) && returnableLine(o)).at(-1)!;
      const line = returnableLine(order)!;
      const body = { orderNumber: order.orderNumber, lines: [{ sku: line.sku, quantity: 1, reason: 'too small' }] };
      const key = `ra-${order.orderNumber}-1`;
      const first = await world.call('POST', '/v1/return-authorizations', { key: keys.flow, body, headers: { 'idempotency-key': key } });
      assert.equal(first.status, 201, first.text);
      assert.match(String(first.body.returnAuthorizationId), /^RMA-/);
      assert.deepEqual(first.body.lines, [{ sku: line.sku, quantity: 1, reason: 'too small' }]);
      assert.equal(typeof first.body.refundWindowEndsAt, 'string');

      const again = await world.call('POST', '/v1/return-authorizations', { key: keys.flow, body: { ...body, idempotencyKey: key } });
      assert.equal(again.status, 201, again.text);
      assert.equal(again.body.returnAuthorizationId, first.body.returnAuthorizationId);
      const ledger = await admin(world.sandbox!.urls.erpCloud!).ledger({ kind: 'returnAuthorization.created' });
      assert.equal(ledger.entries.filter((e) => e.data?.orderNumber === order.orderNumber).length, 1, 'one authorization in the ERP');

      const conflict = await world.call('POST', '/v1/return-authorizations', { key: keys.flow, body: { ...body, lines: [{ sku: line.sku, quantity: 1 }] }, headers: { 'idempotency-key': key } });
      assertProblem(conflict, 409, 'idempotency-conflict');
      // The key is the caller's own: another API key's identical key is another request.
      const otherCaller = await world.call('POST', '/v1/return-authorizations', { key: keys.ops, body, headers: { 'idempotency-key': key } });
      assert.notEqual(otherCaller.status, 409, otherCaller.text);
    });

    it('refuses without an Idempotency-Key, for an ineligible order, and for lines the order does not allow', async () => {
      const w = world.sandbox!.world();
      const order = w.orders.filter((o) => eligible(o) && returnableLine(o)).at(-2)!;
      const line = returnableLine(order)!;
      const post = (body: unknown, key?: string) => world.call('POST', '/v1/return-authorizations', { key: keys.flow, body, headers: key ? { 'idempotency-key': key } : {} });

      assertProblem(await post({ orderNumber: order.orderNumber, lines: [{ sku: line.sku, quantity: 1 }] }), 400, 'validation');
      assertProblem(await post({ orderNumber: 'SO-NOPE', lines: [{ sku: line.sku, quantity: 1 }] }, 'k-none'), 404, 'order-not-found');
      const tooMany = await post({ orderNumber: order.orderNumber, lines: [{ sku: line.sku, quantity: line.quantity + 1 }] }, 'k-many');
      assertProblem(tooMany, 422, 'lines-refused');
      assert.equal(tooMany.body.sku, line.sku);
      assertProblem(await post({ orderNumber: order.orderNumber, lines: [{ sku: 'SKU-NOT-ON-ORDER', quantity: 1 }] }, 'k-other'), 422, 'lines-refused');

      const cancelled = w.orders.find((o) => o.status === 'cancelled')!;
      const refused = await post({ orderNumber: cancelled.orderNumber, lines: [{ sku: cancelled.lines[0].sku, quantity: 1 }] }, 'k-cancelled');
      assertProblem(refused, 422, 'return-not-eligible');
      assert.equal(refused.body.reason, 'order-cancelled');
      const old = w.orders.find((o) => o.status === 'delivered' && Date.now() - Date.parse(o.placedAt) > 40 * DAY_MS);
      if (old) assert.equal((await post({ orderNumber: old.orderNumber, lines: [{ sku: old.lines[0].sku, quantity: 1 }] }, 'k-old')).body.reason, 'outside-refund-window');
      assert.equal((await admin(world.sandbox!.urls.erpCloud!).ledger({ kind: 'returnAuthorization.created' })).entries.filter((e) => e.data?.orderNumber === order.orderNumber).length, 0, 'nothing authorized');
      assertProblem(await world.call('POST', '/v1/return-authorizations', { key: keys.reader, body: { orderNumber: order.orderNumber, lines: [{ sku: line.sku, quantity: 1 }] }, headers: { 'idempotency-key': 'k-r' } }), 403);
    });
  });

  it('declares the operations in the spec, with query parameters, 304s and no new External Services violation', async () => {
    const spec = (await world.call('GET', '/openapi.json', { key: null })).body;
    const paths = spec.paths as Record<string, Record<string, Json>>;
    assert.equal(paths['/v1/customers/{customerId}'].get.operationId, 'getCustomer');
    assert.ok((paths['/v1/customers/{customerId}'].get.responses as Json)['304']);
    const availability = paths['/v1/inventory/availability'].get;
    assert.deepEqual((availability.parameters as Json[]).map((p) => [p.name, p.in, (p.schema as Json).type]), [['skus', 'query', 'string'], ['location', 'query', 'string']]);
    assert.equal(paths['/v1/return-authorizations'].post.operationId, 'createReturnAuthorization');
    assert.deepEqual(externalServicesViolations(spec).filter((v) => v.rule !== 'property-name'), []);
    assert.deepEqual(externalServicesViolations(spec).filter((v) => /CustomerProfile|InventoryAvailability|AvailabilityRow|PriceList|ProductPriceEntry|ReturnAuthorization/.test(v.where)), []);
  });
});
