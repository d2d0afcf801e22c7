import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { Sandbox } from '../../sandbox';
import { buildActivities } from '../../src/activities';
import { startPricingFeed } from '../../src/client/pricing';
import type { Config } from '../../src/config';
import { createWorkers, shutdownWorkers } from '../../src/workers/workers';
import { pricingFeedStateQuery, pricingFeedWorkflowId, priceChangesSignal, pollNowSignal, type pricingFeed } from '../../src/workflows/pricing-feed';
import { promotionStateQuery, promotionWorkflowId, type PromotionState } from '../../src/workflows/promotion';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { eventually } from './case-resolution-world';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Prices and promotions from the sandbox's ERP to its Salesforce, through the real workers and dev
 * server: the feed's list prices (standard book first, duplicates and late versions ignored) and
 * promotions that go live at their start only once price and stock are in place, end, reschedule
 * and are withdrawn. Waits are short real durations (seconds).
 */
describe('workflows: pricing feed and promotions', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let sandbox: Sandbox;
  let config: Config;
  let stop: () => Promise<void>;
  let erp: string;
  let sf: string;
  let token: string;
  const run = uniqueName('p').replace(/[^A-Za-z0-9]/g, '').slice(-6).toUpperCase();
  const settings = { pollIntervalMs: 500, recheckInitialMs: 500, recheckMaxMs: 1_000, pageSize: 10, unknownListRounds: 3 };

  const erpCall = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${erp}${path}`, { method, headers: { 'x-api-key': 'erp-sandbox-key', ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const json = (await res.json()) as Json;
    if (!res.ok) throw new Error(`ERP ${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const soql = async (q: string): Promise<Json[]> => {
    const res = await fetch(`${sf}/services/data/v62.0/query?q=${encodeURIComponent(q)}`, { headers: { authorization: `Bearer ${token}` } });
    return ((await res.json()) as { records: Json[] }).records;
  };
  const book = async (promotionId: string) => (await soql(`SELECT Id, IsActive, Promotion_Status__c, Promotion_Start__c FROM Pricebook2 WHERE ERP_Promotion_Id__c = '${promotionId}'`))[0];
  const entries = async (promotionId: string) => soql(`SELECT ERP_Price_Key__c, UnitPrice, IsActive FROM PricebookEntry WHERE ERP_Price_Key__c LIKE 'promotion:${promotionId}:%'`);
  const feed = () => env.client.workflow.getHandle<typeof pricingFeed>(pricingFeedWorkflowId);
  const promotionState = (id: string) => env.client.workflow.getHandle(promotionWorkflowId(id)).query(promotionStateQuery);
  const in_ = (ms: number) => new Date(Date.now() + ms).toISOString();
  /** SKUs the ERP has in stock, one per test so tests never share a SKU. */
  let stocked: string[] = [];
  const sku = () => stocked.shift()!;
  const createPromotion = (body: Json) => erpCall('POST', '/__sandbox/erp/promotions', { currency: 'USD', ...body });
  /** Waits for the promotion's workflow to report a phase (the feed polls every half second). */
  const phase = (id: string, wanted: PromotionState['phase'], timeoutMs = 30_000) =>
    eventually(async () => {
      const s = await promotionState(id);
      return s.phase === wanted ? s : undefined;
    }, timeoutMs, `${id} ${wanted}`);

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    env = await getTestEnv();
    sandbox = await startTestSandbox(['erpCloud', 'salesforce']);
    erp = sandbox.urls.erpCloud!;
    sf = sandbox.urls.salesforce!;
    const res = await fetch(`${sf}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'retail-orchestrator', client_secret: 'sandbox-client-secret' }) });
    token = ((await res.json()) as { access_token: string }).access_token;
    config = configFor(sandbox, isolatedQueueEnv('pricing'));
    const activities = buildActivities(config);
    const workers: Worker[] = await createWorkers(config, { connection: env.nativeConnection, workflowBundle: await getWorkflowBundle(), activities });
    const running = Promise.all(workers.map((w) => w.run()));
    stop = async () => {
      await feed().terminate('test over').catch(() => undefined);
      shutdownWorkers(workers);
      await running;
      await activities.close();
      await sandbox.close();
    };
    const candidates = Array.from({ length: 40 }, (_, i) => `SKU-${String(i + 1).padStart(5, '0')}`);
    const stock = (await erpCall('GET', `/api/v2/inventory/availability?skus=${candidates.join(',')}`)).data as { sku: string; available: number }[];
    stocked = candidates.filter((s) => stock.filter((r) => r.sku === s).reduce((sum, r) => sum + r.available, 0) > 0);
    assert.ok(stocked.length >= 8, 'the seed has stocked SKUs to promote');
    const { orchestration, salesforce, erp: erpQueue, warehouse, payments } = config.taskQueues;
    const start = () => startPricingFeed(env.client, { taskQueue: orchestration, settings, taskQueues: { salesforce, erp: erpQueue, warehouse, payments } });
    assert.equal((await start()).existing, false);
    assert.equal((await start()).existing, true, 'one feed: a second start joins it');
  });
  after(async () => {
    await stop?.();
  });

  it('loads every list price into the standard price book, then keeps each at its latest version', async () => {
    const watermark = (await erpCall('GET', '/api/v2/pricing/changes?since=0&pageSize=1')).watermark as number;
    await eventually(async () => {
      const s = await feed().query(pricingFeedStateQuery);
      return s.watermark >= watermark && Object.keys(s.pending).length === 0 ? s : undefined;
    }, 60_000, 'the initial load');
    const [standard] = await soql('SELECT Id FROM Pricebook2 WHERE IsStandard = true');
    const target = sku();
    const [seeded] = await soql(`SELECT UnitPrice, IsActive, Pricebook2Id FROM PricebookEntry WHERE ERP_Price_Key__c = 'LIST-STD-USD:${target}'`);
    assert.equal(seeded.Pricebook2Id, standard.Id);
    assert.equal(seeded.IsActive, true);

    const changed = await erpCall('PUT', `/__sandbox/erp/price-lists/LIST-STD-USD/prices/${target}`, { unitPrice: '123.45' });
    await eventually(async () => ((await soql(`SELECT UnitPrice FROM PricebookEntry WHERE ERP_Price_Key__c = 'LIST-STD-USD:${target}'`))[0]?.UnitPrice === 123.45 ? true : undefined), 20_000, 'the new price in Salesforce');

    // The same version again, and an older one arriving late: neither rolls Salesforce back.
    const before = (await feed().query(pricingFeedStateQuery)).counts.ignored;
    const price = (version: number, amount: number) => ({ listId: 'LIST-STD-USD', sku: target, unitPrice: { amount, currency: 'USD' }, effectiveFrom: changed.effectiveFrom, version });
    await feed().signal(priceChangesSignal, [price(changed.version, 12345), price(changed.version - 1, 999)]);
    await eventually(async () => ((await feed().query(pricingFeedStateQuery)).counts.ignored === before + 2 ? true : undefined), 10_000, 'both ignored');
    await feed().signal(pollNowSignal);
    const [after] = await soql(`SELECT UnitPrice, ERP_Version__c FROM PricebookEntry WHERE ERP_Price_Key__c = 'LIST-STD-USD:${target}'`);
    assert.equal(after.UnitPrice, 123.45);
    assert.equal(after.ERP_Version__c, changed.version);
    const written = await admin(sf).ledger({ kind: 'PricebookEntry.updated' });
    assert.equal(written.entries.filter((e) => e.idempotencyKey === `LIST-STD-USD:${target}`).length, 1, 'one write of the new version');
  });

  it('drops malformed pushed prices (counted) and keeps applying the feed', async () => {
    const target = sku();
    const before = (await feed().query(pricingFeedStateQuery)).counts.malformed;
    // A payload that is not a list, and a list with a price missing its version: neither wedges the feed.
    await feed().signal(priceChangesSignal, { listId: 'LIST-STD-USD', sku: target } as never);
    await feed().signal(priceChangesSignal, [{ listId: 'LIST-STD-USD', sku: target, unitPrice: { amount: 100, currency: 'USD' }, effectiveFrom: new Date().toISOString() }] as never);
    await eventually(async () => ((await feed().query(pricingFeedStateQuery)).counts.malformed === before + 2 ? true : undefined), 10_000, 'both counted as malformed');
    assert.equal(Object.keys((await feed().query(pricingFeedStateQuery)).pending).filter((k) => k.endsWith(`:${target}`)).length, 0, 'nothing malformed waits pending');
    await erpCall('PUT', `/__sandbox/erp/price-lists/LIST-STD-USD/prices/${target}`, { unitPrice: '54.32' });
    await eventually(async () => ((await soql(`SELECT UnitPrice FROM PricebookEntry WHERE ERP_Price_Key__c = 'LIST-STD-USD:${target}'`))[0]?.UnitPrice === 54.32 ? true : undefined), 20_000, 'the feed still writes prices');
  });

  it('drops (counted) a pushed price whose list the ERP never returns, instead of keeping it pending', async () => {
    const listId = `LIST-GHOST-${run}`;
    const before = (await feed().query(pricingFeedStateQuery)).counts.droppedUnknownList;
    await feed().signal(priceChangesSignal, [{ listId, sku: 'SKU-00001', unitPrice: { amount: 100, currency: 'USD' }, effectiveFrom: new Date().toISOString(), version: 1 }]);
    const state = await eventually(async () => {
      const s = await feed().query(pricingFeedStateQuery);
      return s.counts.droppedUnknownList === before + 1 ? s : undefined;
    }, 20_000, 'the price for an unknown list dropped');
    assert.equal(state.pending[`${listId}:SKU-00001`], undefined);
    assert.equal(state.unknownLists[listId], undefined);
    assert.equal((await soql(`SELECT Id FROM PricebookEntry WHERE ERP_Price_Key__c = '${listId}:SKU-00001'`)).length, 0);
  });

  it('carries on when the ERP serves a page of its feed again, writing every change once', async () => {
    // A list of its own, so the standard prices the promotions use stay as they are; 15 changes are two pages of 10.
    const listId = `LIST-PAGED-${run}`;
    const targets = sandbox.world().products.slice(0, 15).map((p) => p.sku);
    await erpCall('POST', '/__sandbox/erp/price-lists', { listId, name: `Paged ${run}`, currency: 'USD' });
    const ops = admin(erp);
    await ops.fault({ kind: 'repeat-cursor', method: 'GET', path: '/api/v2/pricing/changes' });
    const repeated = async () => ((await (await fetch(`${erp}/__sandbox/faults`)).json()) as { faults: { kind: string; fired: number }[] }).faults.find((f) => f.kind === 'repeat-cursor')?.fired ?? 0;
    let price = 76;
    try {
      // A poll landing between the changes reads them a page at a time and never asks for a next page,
      // so the round is repeated (new prices) until one poll met more than a page and was served its cursor again.
      let lastErrorStep: string | undefined;
      do {
        price += 1;
        await Promise.all(targets.map((target) => erpCall('PUT', `/__sandbox/erp/price-lists/${listId}/prices/${target}`, { unitPrice: `${price}.00` })));
        const watermark = (await erpCall('GET', '/api/v2/pricing/changes?since=0&pageSize=1')).watermark as number;
        const state = await eventually(async () => {
          const s = await feed().query(pricingFeedStateQuery);
          return s.watermark >= watermark && Object.keys(s.pending).length === 0 ? s : undefined;
        }, 30_000, 'the feed past the repeated page');
        lastErrorStep = state.lastError?.step;
      } while ((await repeated()) === 0 && price < 81);
      assert.ok((await repeated()) > 0, 'a next-page request was answered with its own cursor');
      assert.equal(lastErrorStep, 'read-changes', 'the repeated cursor was noticed, not followed');
    } finally {
      await ops.clearFaults();
    }
    const keys = targets.map((t) => `'${listId}:${t}'`).join(',');
    assert.deepEqual([...new Set((await soql(`SELECT UnitPrice FROM PricebookEntry WHERE ERP_Price_Key__c IN (${keys})`)).map((r) => r.UnitPrice))], [price]);
    const writes = (await admin(sf).ledger()).entries.filter((e) => e.kind.startsWith('PricebookEntry.') && targets.some((t) => e.idempotencyKey === `${listId}:${t}`));
    const rounds = price - 76;
    const perPrice = targets.map((t) => writes.filter((e) => e.idempotencyKey === `${listId}:${t}`).length);
    assert.deepEqual(perPrice, targets.map(() => rounds), `each change written once (${rounds} round(s) of changes)`);
  });

  it('gives another price list its own price book, its prices written after the standard ones', async () => {
    const listId = `LIST-OUTLET-${run}`;
    const target = sku();
    await erpCall('POST', '/__sandbox/erp/price-lists', { listId, name: `Outlet ${run}`, currency: 'USD' });
    await erpCall('PUT', `/__sandbox/erp/price-lists/${listId}/prices/${target}`, { unitPrice: '5.00' });
    const [entry] = await eventually(async () => {
      const rows = await soql(`SELECT UnitPrice, IsActive, Pricebook2.ERP_Price_List_Id__c FROM PricebookEntry WHERE ERP_Price_Key__c = '${listId}:${target}'`);
      return rows.length ? rows : undefined;
    }, 20_000, 'the outlet price');
    assert.equal(entry.UnitPrice, 5);
    const [outlet] = await soql(`SELECT IsActive, IsStandard FROM Pricebook2 WHERE ERP_Price_List_Id__c = '${listId}'`);
    assert.deepEqual([outlet.IsActive, outlet.IsStandard], [true, false]);
  });

  it('creates the promotion inactive, goes live at its start time, and ends at its end time', async () => {
    const id = `PROMO-START-${run}`;
    const target = sku();
    const startAt = in_(5_000);
    const endAt = in_(12_000);
    await createPromotion({ promotionId: id, name: 'Weekend', skus: [target], promotionalPrice: '9.99', startAt, endAt });
    await phase(id, 'scheduled');
    assert.equal((await feed().query(pricingFeedStateQuery)).promotions[id]?.endAt, new Date(endAt).toISOString(), 'the feed remembers it until its end');
    const scheduled = await book(id);
    assert.deepEqual([scheduled.IsActive, scheduled.Promotion_Status__c], [false, 'Scheduled']);
    assert.equal((await entries(id)).length, 0, 'no promotional price before the start');
    const live = await phase(id, 'live', 20_000);
    assert.ok(Date.parse(live.activatedAt!) >= Date.parse(startAt), 'never live before its start');
    assert.equal((await book(id)).IsActive, true);
    assert.deepEqual((await entries(id)).map((e) => [e.UnitPrice, e.IsActive]), [[9.99, true]]);
    const ended = await env.client.workflow.getHandle(promotionWorkflowId(id)).result();
    assert.equal(ended.phase, 'ended');
    assert.ok(Date.parse(ended.deactivatedAt!) >= Date.parse(endAt));
    assert.deepEqual([(await book(id)).IsActive, (await book(id)).Promotion_Status__c], [false, 'Ended']);
    assert.deepEqual((await entries(id)).map((e) => e.IsActive), [false]);
    await eventually(async () => ((await feed().query(pricingFeedStateQuery)).promotions[id] === undefined ? true : undefined), 10_000, 'the ended promotion pruned from the feed state');
  });

  it('holds a promotion whose list price arrives late, and takes it live once the price is in force', async () => {
    const id = `PROMO-LATE-${run}`;
    const target = sku();
    // The list price is replaced by one in force only from a few seconds after the promotion's start.
    const priceFrom = in_(7_000);
    await erpCall('PUT', `/__sandbox/erp/price-lists/LIST-STD-USD/prices/${target}`, { unitPrice: '40.00', effectiveFrom: priceFrom });
    await createPromotion({ promotionId: id, name: 'Late price', skus: [target], percentOff: 25, startAt: in_(1_500), endAt: in_(60_000) });
    const held = await phase(id, 'held', 20_000);
    assert.match(held.heldBecause!, /no ERP list price/);
    assert.equal((await book(id)).IsActive, false);
    const live = await phase(id, 'live', 30_000);
    assert.ok(Date.parse(live.activatedAt!) >= Date.parse(priceFrom), 'not live before the price is in force');
    assert.deepEqual((await entries(id)).map((e) => e.UnitPrice), [30], '25% off the list price');
    await erpCall('POST', `/__sandbox/erp/promotions/${id}/withdraw`);
    await phase(id, 'withdrawn');
  });

  it('holds a promotion while a SKU has no stock, and takes it live when stock arrives', async () => {
    const id = `PROMO-STOCK-${run}`;
    const target = sku();
    const rows = (await erpCall('GET', `/api/v2/inventory/availability?skus=${target}`)).data as { warehouseId: string; onHand: number; reserved: number }[];
    for (const r of rows) await erpCall('POST', '/__sandbox/erp/stock', { sku: target, warehouseId: r.warehouseId, onHand: r.reserved, reserved: r.reserved });
    await createPromotion({ promotionId: id, name: 'No stock', skus: [target], promotionalPrice: '1.00', startAt: in_(1_000), endAt: in_(60_000) });
    const held = await phase(id, 'held', 20_000);
    assert.match(held.heldBecause!, /no stock available/);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.equal((await promotionState(id)).phase, 'held', 'still held while the stock is missing');
    assert.equal((await book(id)).IsActive, false);
    await erpCall('POST', '/__sandbox/erp/stock', { sku: target, warehouseId: rows[0].warehouseId, onHand: rows[0].reserved + 5 });
    await phase(id, 'live', 20_000);
    assert.equal((await book(id)).IsActive, true);
    await erpCall('POST', `/__sandbox/erp/promotions/${id}/withdraw`);
    await phase(id, 'withdrawn');
  });

  it('withdraws a live promotion in Salesforce at once when the ERP withdraws it', async () => {
    const id = `PROMO-WITHDRAW-${run}`;
    await createPromotion({ promotionId: id, name: 'Oops', skus: [sku(), sku()], percentOff: 10, startAt: in_(500), endAt: in_(120_000) });
    await phase(id, 'live', 20_000);
    assert.deepEqual((await entries(id)).map((e) => e.IsActive), [true, true]);
    await erpCall('POST', `/__sandbox/erp/promotions/${id}/withdraw`);
    const result = await env.client.workflow.getHandle(promotionWorkflowId(id)).result();
    assert.equal(result.phase, 'withdrawn');
    const withdrawn = await book(id);
    assert.deepEqual([withdrawn.IsActive, withdrawn.Promotion_Status__c], [false, 'Withdrawn']);
    assert.deepEqual((await entries(id)).map((e) => e.IsActive), [false, false]);
  });

  it('takes a live promotion off sale in Salesforce when the ERP adds a SKU without stock, until the stock arrives', async () => {
    const id = `PROMO-NEWSKU-${run}`;
    const [first, added] = [sku(), sku()];
    await createPromotion({ promotionId: id, name: 'New SKU', skus: [first], percentOff: 10, startAt: in_(500), endAt: in_(120_000) });
    await phase(id, 'live', 20_000);
    const rows = (await erpCall('GET', `/api/v2/inventory/availability?skus=${added}`)).data as { warehouseId: string; reserved: number }[];
    for (const r of rows) await erpCall('POST', '/__sandbox/erp/stock', { sku: added, warehouseId: r.warehouseId, onHand: r.reserved, reserved: r.reserved });
    await erpCall('PATCH', `/__sandbox/erp/promotions/${id}`, { skus: [first, added] });
    await eventually(async () => {
      const s = await promotionState(id);
      return s.phase === 'held' && /no stock available/.test(s.heldBecause ?? '') ? s : undefined;
    }, 20_000, `${id} held for the stock`);
    const offSale = await book(id);
    assert.deepEqual([offSale.IsActive, offSale.Promotion_Status__c], [false, 'Scheduled'], 'Salesforce no longer shows it live on the old terms');
    await erpCall('POST', '/__sandbox/erp/stock', { sku: added, warehouseId: rows[0].warehouseId, onHand: rows[0].reserved + 5 });
    await phase(id, 'live', 20_000);
    assert.equal((await book(id)).IsActive, true);
    await erpCall('POST', `/__sandbox/erp/promotions/${id}/withdraw`);
    await phase(id, 'withdrawn');
  });

  it('reschedules a promotion whose start the ERP moves before it began', async () => {
    const id = `PROMO-MOVED-${run}`;
    await createPromotion({ promotionId: id, name: 'Moved', skus: [sku()], promotionalPrice: '2.00', startAt: in_(120_000), endAt: in_(180_000) });
    await phase(id, 'scheduled');
    const newStart = in_(3_000);
    await erpCall('PATCH', `/__sandbox/erp/promotions/${id}`, { startAt: newStart });
    const live = await phase(id, 'live', 20_000);
    assert.ok(Date.parse(live.activatedAt!) >= Date.parse(newStart));
    assert.equal(live.startAt, new Date(newStart).toISOString());
    assert.equal(live.version, 2);
    await erpCall('POST', `/__sandbox/erp/promotions/${id}/withdraw`);
    await phase(id, 'withdrawn');
  });
});
