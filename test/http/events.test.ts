import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { buildActivities } from '../../src/activities';
import { apiConfig } from '../../src/config/api';
import { eventsConfig } from '../../src/config/events';
import { createLogger } from '../../src/observability/logger';
import { buildApp } from '../../src/starters/http/app';
import { sign } from '../../src/starters/http/events/signature';
import { orderSyncStateQuery, orderSyncWorkflowId } from '../../src/workflows/order-sync';
import { replacement, replacementStateQuery } from '../../src/workflows/replacement';
import { testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { peakPerWindow } from '../helpers/rates';
import { eventually } from '../workflows/case-resolution-world';
import { assertProblem, call, keys, testKeys, type Reply } from './api-world';
import { admin } from '../helpers/sandbox';
import { erpEvent, orderUpserts, salesforceOrders, startEventsWorld, type EventsWorld } from './events-world';

/** Signatures, dedup and ordering, the sandbox's own webhooks end to end, and a burst under the Salesforce queue's rate limit. */
const sfStatus: Record<string, string> = { created: 'Draft', allocated: 'Activated', shipped: 'Shipped', delivered: 'Delivered', cancelled: 'Cancelled' };

describe('HTTP API: event ingestion (POST /v1/events/{source}) and order sync', function () {
  this.timeout(120_000);
  let world: EventsWorld;
  const orders = () => world.sandbox.world().orders;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    world = await startEventsWorld();
  });
  after(async () => {
    await world?.close();
  });

  const syncState = (orderNumber: string) => world.env.client.workflow.getHandle(orderSyncWorkflowId(orderNumber)).query(orderSyncStateQuery);
  const countRuns = async (orderNumber: string) => (await world.env.client.workflow.count(`WorkflowId = "${orderSyncWorkflowId(orderNumber)}"`)).count;

  it('refuses wrong, stale, replayed and missing signatures (401) and keys without the events scope (403); delivers nothing for them', async () => {
    const orderNumber = orders().find((o) => o.status === 'allocated')!.orderNumber;
    const body = { events: [erpEvent(orderNumber, 5, 'shipped')] };
    assertProblem(await world.post('erp', body, { secret: 'not-the-secret-at-all' }), 401, 'invalid-signature');
    assertProblem(await world.post('erp', body, { at: Math.floor(Date.now() / 1000) - 600 }), 401, 'stale-signature');
    assertProblem(await world.post('erp', body, { signature: 't=123' }), 401, 'invalid-signature');
    assertProblem(await call(world.url, 'POST', '/v1/events/erp', { key: null, body }), 401, 'missing-signature');
    assertProblem(await world.post('erp', body, { key: keys.reader }), 403, 'forbidden');
    assert.equal(await countRuns(orderNumber), 0, 'nothing delivered for refused requests');

    // Valid: 202; the very same request again is a replay.
    const raw = JSON.stringify(body);
    const signature = sign(world.secret, 'erp', raw, Math.floor(Date.now() / 1000));
    const first = await world.post('erp', body, { signature, key: keys.ops });
    assert.equal(first.status, 202, first.text);
    assert.deepEqual([first.body.accepted, first.body.rejected], [1, 0]);
    assertProblem(await world.post('erp', body, { signature }), 401, 'replayed-signature');
    assert.equal(await countRuns(orderNumber), 1);

    // A body altered after signing fails too.
    const tampered = await call(world.url, 'POST', '/v1/events/erp', { key: null, rawBody: raw.replace('shipped', 'delivered'), headers: { 'x-retail-signature': sign(world.secret, 'erp', raw, Math.floor(Date.now() / 1000)) } });
    assertProblem(tampered, 401, 'invalid-signature');
  });

  it('validates each event: a batch answers 202 with accepted and rejected entries, and a source mismatch is a 400', async () => {
    const [a, b] = orders().filter((o) => o.status === 'allocated').slice(1, 3);
    const reply = await world.post('erp', {
      events: [erpEvent(a.orderNumber, 2, 'shipped'), { ...erpEvent(b.orderNumber, 2, 'teleported') }, { id: 'x', type: 'order.status_changed' }, erpEvent('bad/number', 2, 'shipped')],
    });
    assert.equal(reply.status, 202, reply.text);
    assert.deepEqual([reply.body.accepted, reply.body.rejected], [1, 3]);
    const results = reply.body.results as { index: number; status: string; eventId?: string; reason?: string }[];
    assert.deepEqual(results.map((r) => [r.index, r.status]), [[0, 'accepted'], [1, 'rejected'], [2, 'rejected'], [3, 'rejected']]);
    assert.ok(results.slice(1).every((r) => typeof r.reason === 'string'));
    assert.equal(await countRuns(b.orderNumber), 0, 'an invalid event starts nothing');

    const mismatch = await world.post('erp', erpEvent(a.orderNumber, 3, 'delivered'), { headers: { 'x-retail-event-source': 'warehouse' } });
    assertProblem(mismatch, 400, 'validation');
    assertProblem(await world.post('mainframe', { events: [erpEvent(a.orderNumber, 3, 'delivered')] }), 400, 'validation');
  });

  it('sheds a request with 503 and Retry-After while the delivery backlog is full, delivering none of it; the same signed request gets through later', async () => {
    // The same API with one delivery lane and room for 20 waiting events.
    const tight = await buildApp({
      client: world.env.client,
      config: world.config,
      api: apiConfig({ keys: testKeys, rateLimitMax: 100_000 }),
      logger: createLogger({ level: 'error', format: 'json' }),
      events: eventsConfig({ secrets: { erp: world.secret }, deliveryLanes: 1, maxQueuedEvents: 20 }),
    });
    await tight.listen({ host: '127.0.0.1', port: 0 });
    try {
      const tightUrl = `http://127.0.0.1:${(tight.server.address() as AddressInfo).port}`;
      // Orders no other test here touches: past the first ten allocated ones, before the burst test's last 200.
      const allocated = new Set(orders().filter((o) => o.status === 'allocated').slice(0, 10).map((o) => o.orderNumber));
      const spare = orders().slice(0, -200).filter((o) => !allocated.has(o.orderNumber)).slice(-100);
      assert.equal(spare.length, 100);
      const [a, b] = [spare.slice(0, 60), spare.slice(60)].map((group) => ({ events: group.map((o) => erpEvent(o.orderNumber, 7, 'shipped')) }));
      const send = (body: unknown, signature: string) => call(tightUrl, 'POST', '/v1/events/erp', { key: null, rawBody: JSON.stringify(body), headers: { 'x-retail-signature': signature } });
      const signed = (body: unknown) => sign(world.secret, 'erp', JSON.stringify(body), Math.floor(Date.now() / 1000));
      const [sigA, sigB] = [signed(a), signed(b)];
      // A's 60 orders go one at a time; B is sent once A's first order has its process, while the rest of A waits.
      const first = send(a, sigA);
      const firstOfA = world.env.client.workflow.getHandle(orderSyncWorkflowId(a.events[0].orderNumber));
      for (let tries = 0; !(await firstOfA.describe().then(() => true, () => false)); tries++) {
        assert.ok(tries < 1000, "A's first delivery did not happen");
        await new Promise((r) => setTimeout(r, 10));
      }
      const shed = await send(b, sigB);
      assertProblem(shed, 503, 'overloaded');
      const wait = Number(shed.headers.get('retry-after'));
      assert.ok(wait >= 1 && wait <= 60, `Retry-After ${shed.headers.get('retry-after')}`);
      assert.equal((await first).status, 202);
      const metrics = await (await fetch(`${tightUrl}/metrics`)).text();
      assert.match(metrics, /^retail_events_shed_requests_total\{source="erp"\} 1$/m);
      assert.match(metrics, /^retail_events_delivery_backlog 0$/m, 'the backlog drained once A was delivered');
      for (const e of b.events.slice(0, 5)) assert.equal(await countRuns(e.orderNumber), 0, 'nothing of the refused request was delivered');
      // The backlog drained: the very same signed request is accepted (a refused signature is not spent).
      const retried = await send(b, sigB);
      assert.equal(retried.status, 202, retried.text);
      assert.equal(retried.body.accepted, 40);
      assert.equal((await first).body.accepted, 60);
    } finally {
      await tight.close();
    }
  });

  it('drops duplicate and out-of-order events and writes the order once per burst', async () => {
    const order = orders().filter((o) => o.status === 'allocated')[5];
    const n = order.orderNumber;
    const t0 = Date.now() - 60_000;
    const since = await admin(world.sandbox.urls.salesforce!).mark();
    // The ERP numbers its events by the order's version (the sandbox's orders are at version 1).
    const shipped = erpEvent(n, 3, 'shipped', t0 + 2000);
    const allocated = erpEvent(n, 2, 'allocated', t0 + 1000);
    const picked = { id: 'WEV-T-1', type: 'release.picked', orderNumber: n, releaseId: 'REL-T-1', sequence: 10, occurredAt: new Date(t0 + 1500).toISOString() };
    const shippedParcel = { id: 'WEV-T-2', type: 'shipment.shipped', orderNumber: n, releaseId: 'REL-T-1', shipmentId: 'SHP-T-1', trackingNumber: '1ZTEST0001', carrier: 'UPS', sequence: 11, occurredAt: new Date(t0 + 1800).toISOString() };
    const r1 = await world.post('erp', { events: [shipped, shipped, allocated] });
    assert.equal(r1.body.accepted, 3, r1.text);
    const r2 = await world.post('warehouse', { events: [shippedParcel, picked] });
    assert.equal(r2.body.accepted, 2, r2.text);
    const r3 = await world.post('erp', { events: [shipped] });
    assert.equal(r3.body.accepted, 1, r3.text);

    const state = await eventually(async () => {
      const s = await syncState(n);
      return s.salesforce.writes >= 1 && !s.pendingChange ? s : undefined;
    }, 20_000, 'the order written to Salesforce');
    assert.equal(state.status, 'shipped');
    assert.deepEqual(state.events, { received: 6, applied: 2, duplicates: 2, outOfOrder: 2 });
    assert.deepEqual(state.ignored.map((i) => [i.eventId, i.reason]), [
      [shipped.id, 'duplicate'],
      [allocated.id, 'out-of-order'],
      [picked.id, 'out-of-order'],
      [shipped.id, 'duplicate'],
    ]);
    assert.equal(state.shipment.trackingNumber, '1ZTEST0001');
    assert.equal(state.shipment.milestone, 'picked_up');

    const record = (await salesforceOrders(world.sandbox)).get(n)!;
    assert.deepEqual([record.Status, record.Shipment_Status__c, record.Tracking_Number__c, record.Carrier__c], ['Shipped', 'picked_up', '1ZTEST0001', 'UPS']);
    // Written alone or in a collections call shared with other orders: the workflow counts its order's writes.
    assert.equal(state.salesforce.writes, 1, 'one Salesforce write for the burst');
    assert.ok((await orderUpserts(world.sandbox, since)).length >= 1);
    assert.equal(await countRuns(n), 1);
  });

  it('receives the sandbox ERP\'s own signed webhooks: a status changed in the ERP reaches the Salesforce Order', async () => {
    const order = orders().filter((o) => o.status === 'allocated')[8];
    const erp = world.sandbox.urls.erpCloud!;
    // Sent twice, as real webhooks sometimes are.
    const changed = await fetch(`${erp}/__sandbox/erp/orders/${order.orderNumber}/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'cancelled', deliveries: 2 }) });
    assert.equal(changed.status, 200);
    const flushed = (await (await fetch(`${erp}/__sandbox/erp/webhooks/flush`, { method: 'POST' })).json()) as { deliveries: { eventId: string; status: string; httpStatus?: number }[] };
    const ours = flushed.deliveries.filter((d) => d.eventId === `evt-erp-${order.orderNumber}-2`);
    assert.ok(ours.some((d) => d.status === 'delivered' && d.httpStatus === 202), JSON.stringify(ours));

    const record = await eventually(async () => {
      const r = (await salesforceOrders(world.sandbox)).get(order.orderNumber);
      return r?.Status === sfStatus.cancelled ? r : undefined;
    }, 20_000, 'the Salesforce Order to show the ERP\'s status');
    assert.equal(record.Status, 'Cancelled');
    const state = await syncState(order.orderNumber);
    assert.deepEqual([state.status, state.erpVersion, state.complete], ['cancelled', 2, true]);
  });

  it('forwards the warehouse\'s own webhooks for a replacement\'s release to that replacement, which follows them to delivery', async () => {
    const w = world.sandbox.world();
    // A case whose first line is in stock at its store's warehouse.
    const pick = w.cases
      .map((kase) => {
        const order = w.orders.find((o) => o.orderNumber === kase.orderNumber)!;
        const warehouseId = w.stores.find((st) => st.storeId === order.storeId)!.warehouseId;
        const line = order.lines[0];
        const stock = w.stock.find((st) => st.sku === line.sku && st.warehouseId === warehouseId);
        return stock && stock.onHand >= line.quantity + 20 ? { kase, order, warehouseId, line } : undefined;
      })
      .find(Boolean)!;
    const salesforce = buildActivities(world.config);
    const sfCase = await salesforce.salesforce.getCaseByNumber(pick.kase.caseNumber).finally(() => salesforce.close());
    const { salesforce: sf, erp, warehouse, payments } = world.config.taskQueues;
    const handle = await world.env.client.workflow.start(replacement, {
      taskQueue: world.config.taskQueues.orchestration,
      workflowId: `replacement/${uniqueName(pick.kase.caseNumber)}`,
      args: [
        {
          caseNumber: pick.kase.caseNumber,
          caseId: sfCase.caseId,
          lines: [{ lineNumber: pick.line.lineNumber, quantity: pick.line.quantity }],
          policy: { returnRequiredFor: [] },
          taskQueues: { salesforce: sf, erp, warehouse, payments },
        },
      ],
    });
    const releaseId = await eventually(async () => (await handle.query(replacementStateQuery)).releaseId, 20_000, 'the release');
    const wms = world.sandbox.urls.warehouse!;
    for (const to of ['shipped', 'delivered']) {
      const advanced = await fetch(`${wms}/__sandbox/warehouse/releases/${releaseId}/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to }) });
      assert.equal(advanced.status, 200);
    }
    const flushed = (await (await fetch(`${wms}/__sandbox/warehouse/webhooks/flush`, { method: 'POST' })).json()) as { deliveries: { status: string; httpStatus?: number }[] };
    assert.ok(flushed.deliveries.length > 0 && flushed.deliveries.every((d) => d.status === 'delivered' && d.httpStatus === 202), JSON.stringify(flushed.deliveries));
    // No signal from the test: the webhooks alone carry the parcel to delivery.
    const result = await handle.result();
    assert.equal(result.status, 'delivered');
    assert.equal(result.releaseId, releaseId);
    assert.ok(result.trackingNumber);
  });

  it('coalesces a burst: 2,400 events for 200 orders end in each order\'s final state with far fewer Salesforce writes, under the queue\'s rate limit', async function () {
    this.timeout(150_000);
    const used = new Set(orders().filter((o) => o.status === 'allocated').slice(0, 10).map((o) => o.orderNumber));
    const burstOrders = orders().filter((o) => !used.has(o.orderNumber)).slice(-200);
    assert.equal(burstOrders.length, 200);
    const { events, expected } = burstOf(burstOrders.map((o) => o.orderNumber), 12);
    const since = await admin(world.sandbox.urls.salesforce!).mark();
    const started = performance.now();
    const replies: Reply[] = [];
    // 8 waves of 25 orders; each wave's 300 events shuffled, split by source into batches of at most 100, posted at once.
    for (let wave = 0; wave < 8; wave++) {
      const waveEvents = shuffle(events.slice(wave * 300, (wave + 1) * 300));
      const batches = (['erp', 'warehouse'] as const).flatMap((source) => chunks(waveEvents.filter((e) => e.source === source), 100).map((batch) => ({ source, batch })));
      replies.push(...(await Promise.all(batches.map(({ source, batch }) => world.post(source, { events: batch.map(({ source: _s, ...e }) => e) })))));
    }
    const acceptedMs = performance.now() - started;
    for (const r of replies) assert.equal(r.status, 202, r.text);
    assert.equal(replies.reduce((n, r) => n + Number(r.body.accepted), 0), events.length);

    const mismatches = async () => {
      const records = await salesforceOrders(world.sandbox);
      return [...expected].filter(([n, want]) => {
        const r = records.get(n)!;
        return r.Status !== sfStatus[want.status] || (want.milestone && r.Shipment_Status__c !== want.milestone) || (want.trackingNumber && r.Tracking_Number__c !== want.trackingNumber);
      });
    };
    await eventually(async () => ((await mismatches()).length === 0 ? true : undefined), 120_000, 'every Salesforce Order in its final state');
    const appliedMs = performance.now() - started;

    // Requests: single upserts of these orders, and collections calls (which carry many orders each).
    const writes = (await orderUpserts(world.sandbox, since)).filter((r) => r.path.endsWith('/Order_Number__c') || expected.has(decodeURIComponent(r.path.split('/').at(-1)!)));
    const rate = world.config.rateLimits.salesforce;
    const peak = peakPerWindow(writes.map((w) => w.at), 1000);
    const states = await Promise.all([...expected.keys()].map((n) => syncState(n)));
    const received = states.reduce((sum, s) => sum + s.events.received, 0);
    const orderWrites = states.reduce((sum, s) => sum + s.salesforce.writes, 0);
    console.log(`      burst: ${events.length} events, ${expected.size} orders; accepted in ${Math.round(acceptedMs)} ms (${Math.round(events.length / (acceptedMs / 1000))}/s), applied in ${Math.round(appliedMs)} ms; ` +
      `${writes.length} Salesforce write requests (${(writes.length / events.length).toFixed(3)} per event) carrying ${orderWrites} order writes, peak ${peak}/s at a limit of ${rate}/s`);
    assert.ok(orderWrites >= expected.size && writes.length <= orderWrites, 'every order written; a request carries one or more');
    assert.equal(received, events.length, 'every event reached its order');
    assert.ok(writes.length <= expected.size * 2, `${writes.length} writes for ${expected.size} orders`);
    assert.ok(writes.length < events.length / 5, 'far fewer writes than events');
    // The server's limiter is a token bucket (a burst of one second's worth): no second holds more than twice the rate.
    assert.ok(peak <= rate * 2, `peak ${peak} writes/s, limit ${rate}/s`);
    const spanS = (writes.at(-1)!.at - writes[0].at) / 1000;
    assert.ok(writes.length <= rate * (spanS + 1) + rate, `${writes.length} writes in ${spanS.toFixed(1)} s at ${rate}/s`);
  });
});

type BurstEvent = Record<string, unknown> & { id: string; source: 'erp' | 'warehouse' };

/**
 * Per order `perOrder` events: the ERP's status changes (sequence = order version, from 2) and the
 * warehouse's release and parcel events, with duplicates to make up the count. A third of the orders end
 * delivered, a third shipped, a third cancelled. Events are grouped by 25 orders (one wave).
 */
export function burstOf(orderNumbers: string[], perOrder: number) {
  const expected = new Map<string, { status: string; milestone?: string; trackingNumber?: string }>();
  const events: BurstEvent[] = [];
  const t0 = Date.now() - 3_600_000;
  orderNumbers.forEach((n, i) => {
    const at = (minutes: number) => new Date(t0 + i * 1000 + minutes * 60_000).toISOString();
    const erp = (sequence: number, status: string, minutes: number): BurstEvent => ({ source: 'erp', id: `evt-erp-${n}-${sequence}`, type: 'order.status_changed', orderNumber: n, status, sequence, occurredAt: at(minutes) });
    const wms = (k: number, type: string, minutes: number, extra: Record<string, unknown> = {}): BurstEvent => ({ source: 'warehouse', id: `WEV-B-${i}-${k}`, type, orderNumber: n, releaseId: `REL-B-${i}`, sequence: 100 + k, occurredAt: at(minutes), ...extra });
    const parcel = { shipmentId: `SHP-B-${i}`, trackingNumber: `1ZBURST${String(i).padStart(6, '0')}`, carrier: 'UPS' };
    const kind = i % 3;
    const own: BurstEvent[] =
      kind === 0
        ? [erp(2, 'allocated', 1), wms(1, 'release.picked', 2), wms(2, 'release.packed', 3), erp(3, 'shipped', 4), wms(3, 'shipment.shipped', 4, parcel), erp(4, 'delivered', 9), wms(4, 'shipment.delivered', 9, parcel)]
        : kind === 1
          ? [erp(2, 'allocated', 1), wms(1, 'release.picked', 2), wms(2, 'release.packed', 3), erp(3, 'shipped', 4), wms(3, 'shipment.shipped', 4, parcel)]
          : [erp(2, 'allocated', 1), wms(1, 'release.picked', 2), erp(3, 'cancelled', 3), wms(2, 'release.cancelled', 3)];
    expected.set(n, kind === 0 ? { status: 'delivered', milestone: 'delivered', trackingNumber: parcel.trackingNumber } : kind === 1 ? { status: 'shipped', milestone: 'picked_up', trackingNumber: parcel.trackingNumber } : { status: 'cancelled' });
    for (let d = 0; own.length < perOrder; d++) own.push(own[(d * 7 + i) % own.length]);
    events.push(...own);
  });
  return { events, expected };
}

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
