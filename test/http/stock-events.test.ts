import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Sandbox } from '../../sandbox';
import { ERP_CLOUD_API_KEY } from '../../sandbox/systems/erp-cloud';
import { buildActivities } from '../../src/activities';
import type { Config } from '../../src/config';
import { apiConfig } from '../../src/config/api';
import { eventsConfig } from '../../src/config/events';
import { createSalesforceConnector } from '../../src/connectors/salesforce';
import { stockShard } from '../../src/domain/stock-event';
import { createLogger } from '../../src/observability/logger';
import { buildApp } from '../../src/starters/http/app';
import { sign } from '../../src/starters/http/events/signature';
import { createWorkers, shutdownWorkers } from '../../src/workers/workers';
import { stockSyncStateQuery, stockSyncWorkflowId } from '../../src/workflows/stock-sync';
import { peakPerWindow } from '../helpers/rates';
import { admin, configFor, freePort, startTestSandbox, type RequestMark } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, testEnvTimeoutMs } from '../helpers/temporal';
import { eventually } from '../workflows/case-resolution-world';
import { assertProblem, call, keys, testKeys, type Reply } from './api-world';

/**
 * POST /v1/stock-events/{source} over a socket, with the real workers and the sandbox's Salesforce:
 * signatures and validation, duplicates and out-of-order counts, a flash-sale burst coalesced into
 * few Product_Availability__c writes under the Salesforce queue's rate limit, and Salesforce's own
 * refusal of an impossible count.
 */
const SHARDS = 4;

describe('HTTP API: stock events (POST /v1/stock-events/{source}) and stock sync', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let sandbox: Sandbox;
  let config: Config;
  let app: FastifyInstance;
  let url: string;
  let stop: () => Promise<void>;
  const secret = randomBytes(24).toString('hex');
  const run = randomBytes(3).toString('hex');

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    env = await getTestEnv();
    const port = await freePort();
    // The sandbox's ERP and warehouse push their own stock changes to this API, signed as the other senders are.
    sandbox = await startTestSandbox(undefined, { stockWebhookUrl: `http://127.0.0.1:${port}/v1/stock-events/{source}`, webhookSecret: secret });
    config = configFor(sandbox, { ...isolatedQueueEnv('stock'), RATE_LIMIT_SALESFORCE: '10' });
    const activities = buildActivities(config);
    const workers: Worker[] = await createWorkers(config, { connection: env.nativeConnection, workflowBundle: await getWorkflowBundle(), activities });
    const running = Promise.all(workers.map((w) => w.run()));
    app = await buildApp({
      client: env.client,
      config,
      api: apiConfig({ keys: testKeys, rateLimitMax: 100_000 }),
      logger: createLogger({ level: 'error', format: 'json' }),
      events: eventsConfig({ secrets: { erp: secret, warehouse: secret }, stockShards: SHARDS, stockSync: { coalesceWindow: '1 second', maxCoalesceWindow: '8 seconds' } }),
    });
    await app.listen({ host: '127.0.0.1', port });
    url = `http://127.0.0.1:${port}`;
    stop = async () => {
      await app.close();
      shutdownWorkers(workers);
      await running;
      await activities.close();
      await sandbox.close();
    };
  });
  after(async () => {
    await stop?.();
  });

  const post = (source: string, body: unknown, o: { secret?: string; key?: string } = {}): Promise<Reply> => {
    const raw = JSON.stringify(body);
    return call(url, 'POST', `/v1/stock-events/${source}`, { rawBody: raw, key: o.key ?? null, headers: { 'x-retail-signature': sign(o.secret ?? secret, source, raw, Math.floor(Date.now() / 1000)) } });
  };
  const stockEvent = (sku: string, location: string, sequence: number, onHand: number, reserved = 0, at = Date.now()) => ({
    id: `evt-stock-${sku}-${location}-${sequence}`,
    type: 'stock.changed',
    sku,
    location,
    onHand,
    reserved,
    sequence,
    occurredAt: new Date(at).toISOString(),
  });
  const availability = async (): Promise<Map<string, Record<string, unknown>>> => {
    const state = (await (await fetch(`${sandbox.urls.salesforce}/__sandbox/state`)).json()) as { records: Record<string, Record<string, Record<string, unknown>>> };
    return new Map(Object.values(state.records.Product_Availability__c ?? {}).map((r) => [String(r.Availability_Key__c), r]));
  };
  const collectionWrites = async (since: RequestMark) =>
    (await admin(sandbox.urls.salesforce!).requests(since)).requests.filter((r) => r.method === 'PATCH' && r.path.includes('/composite/sobjects/Product_Availability__c/'));
  const shardState = (sku: string, location: string) => env.client.workflow.getHandle(stockSyncWorkflowId(location, stockShard(sku, SHARDS))).query(stockSyncStateQuery);

  it('refuses bad signatures (401) and keys without the events scope (403), rejects invalid events in a 202 batch, and an unknown source is a 400', async () => {
    const location = `WH-SIG-${run}`;
    const body = { events: [stockEvent('SKU-SIG-1', location, 1, 5)] };
    assertProblem(await post('erp', body, { secret: 'not-the-secret-at-all-really' }), 401, 'invalid-signature');
    assertProblem(await call(url, 'POST', '/v1/stock-events/erp', { key: null, body }), 401, 'missing-signature');
    assertProblem(await post('erp', body, { key: keys.reader }), 403, 'forbidden');
    assertProblem(await post('carrier', body), 400, 'validation');
    const mixed = await post('warehouse', {
      events: [stockEvent('SKU-SIG-1', location, 1, 5), { ...stockEvent('SKU/BAD', location, 1, 5) }, { ...stockEvent('SKU-SIG-2', location, 1, 5), onHand: -1 }, { ...stockEvent('SKU-SIG-3', location, 1, 5), type: 'stock.counted' }],
    });
    assert.equal(mixed.status, 202, mixed.text);
    const results = mixed.body.results as { status: string; reason?: string }[];
    assert.deepEqual(results.map((r) => r.status), ['accepted', 'rejected', 'rejected', 'rejected']);
    assert.match(results[1].reason ?? '', /sku/);
    await eventually(async () => ((await availability()).get(`SKU-SIG-1@${location}`)?.On_Hand__c === 5 ? true : undefined), 30_000, 'the valid count in Salesforce');
    assert.equal((await availability()).has(`SKU/BAD@${location}`), false);
  });

  it('drops duplicate and out-of-order counts: Salesforce shows the highest sequence per SKU-location, written once per burst', async () => {
    const location = `WH-ORD-${run}`;
    const sku = 'SKU-ORD-1';
    const since = await admin(sandbox.urls.salesforce!).mark();
    const t = Date.now() - 60_000;
    const first = await post('erp', { events: [stockEvent(sku, location, 5, 10, 0, t + 5000), stockEvent(sku, location, 3, 99, 0, t + 3000), stockEvent(sku, location, 5, 10, 0, t + 5000), stockEvent(sku, location, 7, 8, 3, t + 7000)] });
    assert.equal(first.status, 202, first.text);
    assert.equal(first.body.accepted, 4, 'stale and duplicate events are valid; the process ignores them');
    const second = await post('erp', { events: [stockEvent(sku, location, 6, 50, 0, t + 6000)] });
    assert.equal(second.status, 202);

    const record = await eventually(async () => {
      const r = (await availability()).get(`${sku}@${location}`);
      return r?.Stock_Version__c === 7 ? r : undefined;
    }, 30_000, 'the availability record at version 7');
    assert.deepEqual([record.On_Hand__c, record.Reserved__c, record.Available__c, record.Stock_Source__c], [8, 3, 5, 'erp']);
    const state = await eventually(async () => {
      const s = await shardState(sku, location);
      return s.pending === 0 ? s : undefined;
    }, 30_000, 'nothing pending');
    assert.deepEqual([state.events.received, state.events.applied, state.events.duplicates, state.events.outOfOrder], [5, 2, 1, 2]);
    const item = state.items[sku];
    // The visibility lag's two ends: the count's time at its source and Salesforce's answer.
    assert.equal(item.written?.changedAt, new Date(t + 7000).toISOString());
    assert.ok(Date.parse(item.written!.at) >= Date.parse(item.changedAt));
    assert.equal((await collectionWrites(since)).length, 1, 'one Salesforce call for the burst');

    // A later count from the warehouse takes over; an older one from it (by event time) does not.
    await post('warehouse', { events: [stockEvent(sku, location, 1, 7, 0, t + 4000)] });
    await post('warehouse', { events: [stockEvent(sku, location, 2, 6, 1, Date.now())] });
    const taken = await eventually(async () => {
      const r = (await availability()).get(`${sku}@${location}`);
      return r?.Stock_Source__c === 'warehouse' ? r : undefined;
    }, 30_000, 'the warehouse count in Salesforce');
    assert.deepEqual([taken.On_Hand__c, taken.Available__c, taken.Stock_Version__c], [6, 5, 2]);
    assert.equal((await shardState(sku, location)).events.superseded, 1);
  });

  it('coalesces a flash-sale burst: 3,000 counts for 150 SKU-locations converge to each last sequence with few Salesforce calls, under the queue\'s rate limit', async function () {
    this.timeout(180_000);
    const locations = [`STORE-A-${run}`, `STORE-B-${run}`, `STORE-C-${run}`];
    const skus = Array.from({ length: 50 }, (_, i) => `SKU-FS-${i}`);
    const perKey = 20;
    const events: ReturnType<typeof stockEvent>[] = [];
    const expected = new Map<string, { onHand: number; version: number }>();
    const t = Date.now() - 600_000;
    for (const location of locations)
      for (const sku of skus)
        for (let sequence = 1; sequence <= perKey; sequence++) {
          const onHand = 1000 - sequence * 3;
          events.push(stockEvent(sku, location, sequence, onHand, 0, t + sequence * 1000));
          if (sequence === perKey) expected.set(`${sku}@${location}`, { onHand, version: sequence });
        }
    // Shuffled: many arrive after a later count of their SKU-location.
    for (let i = events.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [events[i], events[j]] = [events[j], events[i]];
    }
    const since = await admin(sandbox.urls.salesforce!).mark();
    const batches = Array.from({ length: Math.ceil(events.length / 250) }, (_, b) => events.slice(b * 250, (b + 1) * 250));
    const replies = await Promise.all(batches.map((batch) => post('erp', { events: batch })));
    for (const r of replies) assert.equal(r.status, 202, r.text);
    assert.equal(replies.reduce((n, r) => n + Number(r.body.accepted), 0), events.length);

    await eventually(async () => {
      const records = await availability();
      return [...expected].every(([key, want]) => records.get(key)?.Stock_Version__c === want.version && records.get(key)?.On_Hand__c === want.onHand) ? true : undefined;
    }, 150_000, 'every SKU-location at its last count');
    const writes = await collectionWrites(since);
    const peak = peakPerWindow(writes.map((w) => w.at), 1000);
    console.log(`      stock burst: ${events.length} counts, ${expected.size} SKU-locations; ${writes.length} Salesforce calls (${(writes.length / events.length).toFixed(4)} per event), peak ${peak}/s at a limit of ${config.rateLimits.salesforce}/s`);
    assert.ok(writes.length / events.length <= 0.1, `${writes.length} calls for ${events.length} events`);
    // The server's limiter is a token bucket (a full second's tokens may go at once): any one second sees at most twice the rate.
    assert.ok(peak <= config.rateLimits.salesforce * 2, `peak ${peak}/s`);
    const shards = new Set([...expected.keys()].map((k) => { const [sku, location] = k.split('@'); return stockSyncWorkflowId(location, stockShard(sku, SHARDS)); }));
    const states = await Promise.all([...shards].map((id) => env.client.workflow.getHandle(id).query(stockSyncStateQuery)));
    assert.equal(states.reduce((n, s) => n + s.events.received, 0), events.length, 'every event reached its shard');
    assert.equal(states.reduce((n, s) => n + s.pending, 0), 0);
  });

  it('the ERP and the warehouse push their own stock changes: a reservation, its consumption and a cycle count reach Salesforce, a replayed request pushes nothing', async () => {
    const item = sandbox.world().stock.find((s) => s.onHand - s.reserved >= 5)!;
    const key = `${item.sku}@${item.warehouseId}`;
    const erp = async (path: string, body: unknown, idempotencyKey: string) => {
      const res = await fetch(`${sandbox.urls.erpCloud}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ERP_CLOUD_API_KEY, 'idempotency-key': idempotencyKey }, body: JSON.stringify(body) });
      const text = await res.text();
      assert.ok(res.ok, `${path}: ${res.status} ${text}`);
      return JSON.parse(text) as { id: string };
    };
    const at = async (want: (r: Record<string, unknown>) => boolean, what: string) =>
      eventually(async () => {
        const r = (await availability()).get(key);
        return r && want(r) ? r : undefined;
      }, 30_000, what);

    const reservation = await erp('/api/v2/reservations', { warehouseId: item.warehouseId, lines: [{ sku: item.sku, qty: 2 }] }, `rsv-${run}`);
    await erp('/api/v2/reservations', { warehouseId: item.warehouseId, lines: [{ sku: item.sku, qty: 2 }] }, `rsv-${run}`);
    const reserved = await at((r) => r.Reserved__c === item.reserved + 2, 'the reservation in Salesforce');
    assert.deepEqual([reserved.On_Hand__c, reserved.Available__c, reserved.Stock_Source__c, reserved.Stock_Version__c], [item.onHand, item.onHand - item.reserved - 2, 'erp', 1]);

    await erp(`/api/v2/reservations/${reservation.id}/consume`, {}, `consume-${run}`);
    const shipped = await at((r) => r.Stock_Version__c === 2, 'the consumption in Salesforce');
    assert.deepEqual([shipped.On_Hand__c, shipped.Reserved__c, shipped.Available__c], [item.onHand - 2, item.reserved, item.onHand - item.reserved - 2]);
    const flushed = (await (await fetch(`${sandbox.urls.erpCloud}/__sandbox/erp/webhooks/flush`, { method: 'POST' })).json()) as { stockDeliveries: { eventId: string; status: string }[] };
    const mine = flushed.stockDeliveries.filter((d) => d.eventId.startsWith(`erp-stock-${key}-`));
    assert.deepEqual(mine.map((d) => [d.eventId, d.status]), [[`erp-stock-${key}-v1`, 'delivered'], [`erp-stock-${key}-v2`, 'delivered']], 'one push per change; the replayed reservation pushed nothing');

    const counted = await fetch(`${sandbox.urls.warehouse}/__sandbox/warehouse/stock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sku: item.sku, warehouseId: item.warehouseId, onHand: 42 }) });
    assert.equal(counted.status, 200, await counted.text());
    const wms = await at((r) => r.Stock_Source__c === 'warehouse', 'the cycle count in Salesforce');
    assert.equal(wms.On_Hand__c, 42);
  });

  it('Salesforce refuses an impossible count per record (validation rule) and writes the others of the same call', async () => {
    const sf = createSalesforceConnector(config);
    try {
      const location = `WH-VAL-${run}`;
      const changedAt = new Date().toISOString();
      const answer = await sf.upsertStockAvailability([
        { sku: 'SKU-VAL-1', location, onHand: 5, reserved: 0, available: 9, source: 'erp', version: 1, changedAt },
        { sku: 'SKU-VAL-2', location, onHand: 5, reserved: 1, available: 4, source: 'erp', version: 1, changedAt },
      ]);
      assert.deepEqual(answer.results.map((r) => [r.key, r.ok, r.errorCode]), [
        [`SKU-VAL-1@${location}`, false, 'FIELD_CUSTOM_VALIDATION_EXCEPTION'],
        [`SKU-VAL-2@${location}`, true, undefined],
      ]);
      const records = await availability();
      assert.equal(records.has(`SKU-VAL-1@${location}`), false);
      assert.equal(records.get(`SKU-VAL-2@${location}`)?.Available__c, 4);
      // The same upsert again updates the record it made: the external id keeps it one record.
      const again = await sf.upsertStockAvailability([{ sku: 'SKU-VAL-2', location, onHand: 5, reserved: 2, available: 3, source: 'erp', version: 2, changedAt }]);
      assert.equal(again.results[0].created, false);
      assert.equal([...(await availability()).keys()].filter((k) => k === `SKU-VAL-2@${location}`).length, 1);
    } finally {
      sf.shutdown();
    }
  });
});
