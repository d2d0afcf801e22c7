import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { createSalesforceActivities } from '../../src/activities/salesforce';
import { createSalesforceConnector, OrderWriteCoalescer, type OrderStatusUpdate, type SalesforceConnector } from '../../src/connectors/salesforce';
import { orderStatuses } from '../../src/connectors/salesforce/mapping';
import type { RetryableDownstreamError } from '../../src/domain/errors';
import type { Sandbox } from '../../sandbox';
import { admin, configFor, startTestSandbox, type RequestMark } from '../helpers/sandbox';
import { failure } from '../helpers/failures';

const COLLECTION_UPSERT = /\/composite\/sobjects\/Order\/Order_Number__c$/;

/** Order-status upserts of many orders gathered into sObject Collections calls, against the sandbox over HTTP. */
describe('Salesforce order writes in collections calls', function () {
  this.timeout(30_000);
  let sandbox: Sandbox;
  let sf: SalesforceConnector;
  let sfAdmin: ReturnType<typeof admin>;

  before(async () => {
    sandbox = await startTestSandbox(['salesforce']);
    sfAdmin = admin(sandbox.urls.salesforce!);
    sf = createSalesforceConnector(configFor(sandbox, { BREAKER_VOLUME: '1000' }));
  });
  afterEach(async () => {
    await sfAdmin.clearFaults();
  });
  after(async () => {
    sf?.shutdown();
    await sandbox?.close();
  });

  const markRequests = () => sfAdmin.mark();
  const orderWrites = async (since: RequestMark) => (await sfAdmin.requests(since)).requests.filter((r) => r.method === 'PATCH' && /\/sobjects\/Order\//.test(r.path));
  const ordersByNumber = async () => {
    const state = (await (await fetch(`${sandbox.urls.salesforce}/__sandbox/state`)).json()) as { records: { Order: Record<string, Record<string, unknown>> } };
    return Object.values(state.records.Order).reduce((m, r) => m.set(String(r.Order_Number__c), [...(m.get(String(r.Order_Number__c)) ?? []), r]), new Map<string, Record<string, unknown>[]>());
  };
  const world = () => sandbox.world();

  it('sends concurrent upserts of many orders as one collections request, and answers each caller with its own record', async () => {
    const coalescer = new OrderWriteCoalescer(sf, { windowMs: 30, maxBatch: 200 });
    const existing: OrderStatusUpdate[] = world().orders.slice(20, 50).map((o, i) => ({ orderNumber: o.orderNumber, status: i % 2 ? 'shipped' : 'delivered', shipmentStatus: i % 2 ? 'in_transit' : 'delivered', trackingNumber: `1ZBATCH${i}`, carrier: 'UPS' }));
    const fresh: OrderStatusUpdate[] = [0, 1].map((i) => ({ orderNumber: `SO-BATCH-NEW-${i}`, status: 'created', customerId: world().customers[i].customerId, placedAt: '2026-03-01T10:00:00Z' }));
    await sf.getCustomer(world().customers[0].customerId); // signed in: the batch is the only request
    const since = await markRequests();
    const results = await Promise.all([...existing, ...fresh].map((u) => coalescer.upsert(u)));

    const writes = await orderWrites(since);
    assert.equal(writes.length, 1, `one request for 32 orders, got ${writes.map((w) => w.path).join(', ')}`);
    assert.match(writes[0].path, COLLECTION_UPSERT);
    const orders = await ordersByNumber();
    [...existing, ...fresh].forEach((u, i) => {
      const [record, ...more] = orders.get(u.orderNumber) ?? [];
      assert.equal(more.length, 0, `one record for ${u.orderNumber}`);
      assert.equal(results[i].orderId, record.Id, `${u.orderNumber} answered with its own record`);
      assert.equal(record.Status, orderStatuses.toLabel(u.status));
      if (u.shipmentStatus) assert.deepEqual([record.Shipment_Status__c, record.Tracking_Number__c, record.Carrier__c], [u.shipmentStatus, u.trackingNumber, 'UPS']);
    });
    assert.deepEqual(results.map((r) => r.created), [...existing.map(() => false), true, true]);
    assert.equal((await sfAdmin.ledger({ kind: 'Order.created', key: 'SO-BATCH-NEW-1' })).count, 1);
  });

  it('fails only the refused record\'s caller, with the type, code and retryability its own upsert gets, naming the fields', async () => {
    const coalescer = new OrderWriteCoalescer(sf, { windowMs: 30, maxBatch: 200 });
    const good = world().orders.slice(60, 63).map((o): OrderStatusUpdate => ({ orderNumber: o.orderNumber, status: 'shipped' }));
    const noAccount: OrderStatusUpdate = { orderNumber: 'SO-BATCH-NOACCOUNT', status: 'created' };
    const unknownCustomer: OrderStatusUpdate = { orderNumber: 'SO-BATCH-NOCUSTOMER', status: 'created', customerId: 'C-999999', placedAt: '2026-03-01T10:00:00Z' };
    const since = await markRequests();
    const settled = await Promise.allSettled([...good, noAccount, unknownCustomer].map((u) => coalescer.upsert(u)));
    assert.equal((await orderWrites(since)).length, 1);
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);

    for (const [i, update, fields] of [[3, noAccount, ['AccountId', 'EffectiveDate']], [4, unknownCustomer, ['AccountId']]] as const) {
      const batched = await failure(Promise.reject((settled[i] as PromiseRejectedResult).reason));
      const alone = await failure(sf.upsertOrderStatus(update));
      assert.deepEqual([batched.type, batched.code, batched.retryable, batched.system], [alone.type, alone.code, alone.retryable, alone.system]);
      assert.equal(batched.operation, 'upsertOrderStatus');
      assert.deepEqual((batched.details?.fields as string[]).sort(), [...fields]);
      for (const field of fields) assert.match(batched.message, new RegExp(field));
    }
    assert.equal((await ordersByNumber()).get(noAccount.orderNumber), undefined, 'nothing written for the refused record');

    // Through the activity: the same Temporal failure either way (non-retryable, same type).
    const batchedActivity = createSalesforceActivities(sf, undefined, coalescer);
    const singleActivity = createSalesforceActivities(sf);
    const [viaBatch, single] = await Promise.all([batchedActivity.upsertSalesforceOrderStatus(noAccount).catch((e: unknown) => e), singleActivity.upsertSalesforceOrderStatus(noAccount).catch((e: unknown) => e)]);
    assert.ok(viaBatch instanceof ApplicationFailure && single instanceof ApplicationFailure);
    assert.deepEqual([viaBatch.type, viaBatch.nonRetryable], [single.type, single.nonRetryable]);
    assert.deepEqual([viaBatch.type, viaBatch.nonRetryable], ['ValidationError', true]);
  });

  it('fails every caller retryably when the request is refused (503, rate limit), and the retries land each order once', async () => {
    const coalescer = new OrderWriteCoalescer(sf, { windowMs: 20, maxBatch: 200 });
    const updates: OrderStatusUpdate[] = [
      ...world().orders.slice(70, 74).map((o): OrderStatusUpdate => ({ orderNumber: o.orderNumber, status: 'delivered', shipmentStatus: 'delivered' })),
      { orderNumber: 'SO-BATCH-RETRY', status: 'created', customerId: world().customers[3].customerId, placedAt: '2026-03-01T10:00:00Z' },
    ];
    const path = '/services/data/*/composite/sobjects/Order/Order_Number__c';

    await sfAdmin.fault({ kind: 'error', status: 503, errorCode: 'SERVER_UNAVAILABLE', message: 'down for maintenance', method: 'PATCH', path, count: 1 });
    const unavailable = await Promise.allSettled(updates.map((u) => coalescer.upsert(u)));
    for (const s of unavailable) {
      const err = await failure(Promise.reject((s as PromiseRejectedResult).reason));
      assert.deepEqual([err.type, err.retryable], ['DownstreamUnavailableError', true]);
    }

    await sfAdmin.fault({ kind: 'rate-limit', method: 'PATCH', path, count: 1 });
    const limited = await Promise.allSettled(updates.map((u) => coalescer.upsert(u)));
    for (const s of limited) {
      const err = await failure(Promise.reject((s as PromiseRejectedResult).reason));
      assert.deepEqual([err.type, err.retryable], ['RateLimitedError', true]);
      assert.ok(((err as RetryableDownstreamError).retryAfterMs ?? 0) > 0, 'the wait travels to the retry');
    }

    const since = await markRequests();
    const landed = await Promise.all(updates.map((u) => coalescer.upsert(u)));
    // Answered writes only: the refused ones just before are not this round's, whenever they were logged.
    assert.equal((await orderWrites(since)).filter((r) => r.status < 300).length, 1, 'the retries share one request too');
    const orders = await ordersByNumber();
    for (const u of updates) assert.equal(orders.get(u.orderNumber)?.length, 1, `one ${u.orderNumber}`);
    assert.equal((await sfAdmin.ledger({ kind: 'Order.created', key: 'SO-BATCH-RETRY' })).count, 1, 'created once across three attempts');
    assert.equal(landed.at(-1)?.created, true);
  });

  it('keeps two updates of one order in separate requests, in the order given, and never exceeds the batch size', async () => {
    const coalescer = new OrderWriteCoalescer(sf, { windowMs: 30, maxBatch: 5 });
    const n = world().orders[80].orderNumber;
    const others = world().orders.slice(81, 92).map((o): OrderStatusUpdate => ({ orderNumber: o.orderNumber, status: 'shipped' }));
    // The first request is slow: the next batch, carrying the later update, must still land after it.
    await sfAdmin.fault({ kind: 'latency', latencyMs: 400, method: 'PATCH', path: '/services/data/*/composite/sobjects/Order/Order_Number__c', count: 1 });
    const since = await markRequests();
    await Promise.all([coalescer.upsert({ orderNumber: n, status: 'shipped' }), coalescer.upsert({ orderNumber: n, status: 'delivered' }), ...others.map((u) => coalescer.upsert(u))]);
    const writes = await orderWrites(since);
    // 13 updates: the repeat of n closes the first batch (1), then 5 + 5 + 2.
    assert.equal(writes.length, 4, 'batches of at most 5, one update of an order per batch');
    assert.equal((await ordersByNumber()).get(n)?.[0].Status, 'Delivered', 'the later update landed last');
  });

  it('refuses a malformed update before it joins a batch, as the single upsert does', async () => {
    const coalescer = new OrderWriteCoalescer(sf, { windowMs: 10, maxBatch: 200 });
    const bad = { orderNumber: 'SO/1', status: 'shipped' } as OrderStatusUpdate;
    const batched = await failure(coalescer.upsert(bad));
    const alone = await failure(sf.upsertOrderStatus(bad));
    assert.deepEqual([batched.type, batched.code, batched.retryable], [alone.type, alone.code, alone.retryable]);
  });

  it('sends what is waiting when flushed at shutdown, and the flush settles once Salesforce answered', async () => {
    const coalescer = new OrderWriteCoalescer(sf, { windowMs: 60_000, maxBatch: 200 });
    const updates = world().orders.slice(70, 73).map((o): OrderStatusUpdate => ({ orderNumber: o.orderNumber, status: 'delivered' }));
    const since = await markRequests();
    const answers = updates.map((u) => coalescer.upsert(u));
    assert.equal((await orderWrites(since)).length, 0, 'nothing sent within the window');
    await coalescer.flush();
    assert.equal((await orderWrites(since)).length, 1, 'one request once flushed');
    const orders = await ordersByNumber();
    for (const u of updates) assert.equal(orders.get(u.orderNumber)?.[0].Status, orderStatuses.toLabel('delivered'));
    assert.equal((await Promise.all(answers)).length, 3);
  });
});
