import assert from 'node:assert/strict';
import type { Sandbox } from '../../sandbox';
import type { SalesforceState } from '../../sandbox/systems/salesforce/state';
import { orderStatuses } from '../../src/connectors/salesforce/mapping';
import type { OrderStatus } from '../../src/domain/order';
import { backfillProgressQuery, type BackfillProgress } from '../../src/workflows/order-backfill';
import { startOrderBackfill } from '../../src/client/backfill';
import { changedSinceOf } from '../../src/workflows/order-backfill/ids';
import { runCli, jsonOf } from '../cli/cli-harness';
import { startApiWorld, type ApiWorld } from '../http/api-world';
import { admin } from '../helpers/sandbox';
import { testEnvTimeoutMs } from '../helpers/temporal';
import { testDataConverter } from '../helpers/codec';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow/codec-helpers';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow/data-converter-helpers';

/**
 * The order backfill on the real dev server, workers and connectors against one sandbox, started
 * through the API, the client and retailctl. Before each backfill Salesforce is made to disagree with
 * the ERP (orders missing, statuses stale, orders changed in the ERP since); afterwards every order the
 * ERP changed since the date must be in Salesforce once, with the ERP's status.
 */

interface ErpOrder {
  orderNumber: string;
  status: string;
  updatedAt: string;
}

interface SfOrder {
  Id: string;
  Order_Number__c: string;
  Status: string;
}

const state = async <T>(url: string) => (await (await fetch(`${url}/__sandbox/state`)).json()) as T;
const erpOrders = async (sandbox: Sandbox) => Object.values((await state<{ orders: Record<string, ErpOrder> }>(sandbox.urls.erpCloud!)).orders);
const sfOrders = async (sandbox: Sandbox) => Object.values((await state<{ records: { Order: Record<string, SfOrder> } }>(sandbox.urls.salesforce!)).records.Order);

/** The ERP's orders a backfill since this date must write. */
async function changedSince(sandbox: Sandbox, since: string): Promise<ErpOrder[]> {
  const from = changedSinceOf(since);
  return (await erpOrders(sandbox)).filter((o) => o.updatedAt >= from);
}

const labelOf = (erpStatus: string) => orderStatuses.toLabel(erpStatus.toLowerCase() as OrderStatus);

/** Salesforce disagrees with the ERP: the first `missing` orders are gone (with their items), the rest carry a stale status. */
function diverge(sandbox: Sandbox, orders: ErpOrder[], missing: number): void {
  const sf = sandbox.systems.salesforce!.ctx.store as unknown as { data: SalesforceState; changed: () => void };
  const byNumber = new Map(Object.values(sf.data.records.Order).map((r) => [r.Order_Number__c as string, r]));
  orders.forEach((order, i) => {
    const record = byNumber.get(order.orderNumber)!;
    if (i < missing) {
      delete sf.data.records.Order[record.Id as string];
      for (const [id, item] of Object.entries(sf.data.records.OrderItem)) if (item.OrderId === record.Id) delete sf.data.records.OrderItem[id];
    } else {
      record.Status = labelOf(order.status) === 'Cancelled' ? 'Draft' : 'Cancelled';
    }
  });
  sf.changed();
}

/** Every order in `expected` is in Salesforce exactly once, with the ERP's status now. */
async function assertMirrored(sandbox: Sandbox, expected: ErpOrder[]): Promise<void> {
  const erpNow = new Map((await erpOrders(sandbox)).map((o) => [o.orderNumber, o.status]));
  const records = await sfOrders(sandbox);
  const byNumber = new Map<string, SfOrder[]>();
  for (const r of records) byNumber.set(r.Order_Number__c, [...(byNumber.get(r.Order_Number__c) ?? []), r]);
  const wrong = expected.filter((o) => byNumber.get(o.orderNumber)?.length !== 1 || byNumber.get(o.orderNumber)![0].Status !== labelOf(erpNow.get(o.orderNumber)!));
  assert.deepEqual(wrong.map((o) => o.orderNumber), [], 'orders missing, duplicated or with another status in Salesforce');
  assert.equal(byNumber.size, records.length, 'no order number twice in Salesforce');
}

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);

describe('orderBackfill: ERP orders into Salesforce through Bulk API 2.0', function () {
  this.timeout(90_000);
  let world: ApiWorld;
  let sandbox: Sandbox;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    world = await startApiWorld({ workers: true });
    sandbox = world.sandbox!;
  });
  after(async () => {
    await world?.close();
  });

  it('through the API: writes every changed order, progress visible while it runs, and a second request answers the same backfill', async () => {
    const since = daysAgo(40);
    // Orders changed in the ERP just now count too, even if placed long before the date.
    const older = (await erpOrders(sandbox)).filter((o) => o.updatedAt < changedSinceOf(since)).slice(0, 3);
    for (const o of older) {
      const res = await fetch(`${sandbox.urls.erpCloud}/__sandbox/erp/orders/${o.orderNumber}/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: o.status === 'DELIVERED' ? 'cancelled' : 'delivered' }) });
      assert.equal(res.status, 200);
    }
    const expected = await changedSince(sandbox, since);
    assert.ok(expected.length > 250, `hundreds of orders to write (${expected.length})`);
    diverge(sandbox, expected.slice(0, 60), 20);
    const sfCountBefore = (await sfOrders(sandbox)).length;

    const started = await world.call('POST', '/v1/backfills', { body: { since, pageSize: 50, batchSize: 100 } });
    assert.equal(started.status, 202, started.text);
    assert.equal(started.body.workflowId, `backfill/${since}`);
    assert.equal(started.body.existing, false);
    assert.equal(started.headers.get('location'), started.body.statusUrl);

    const seenRunning: BackfillProgress[] = [];
    let process: Record<string, unknown> = {};
    for (let deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      const reply = await world.call('GET', started.body.statusUrl as string);
      assert.equal(reply.status, 200, reply.text);
      process = reply.body;
      if (process.status !== 'RUNNING') break;
      if (process.stateJson) seenRunning.push(JSON.parse(process.stateJson as string) as BackfillProgress);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(process.status, 'COMPLETED', JSON.stringify(process));
    assert.equal(process.type, 'orderBackfill');
    assert.ok(seenRunning.some((p) => p.pagesRead > 0 && p.ordersSeen > 0 && ['reading', 'writing'].includes(p.stage)), 'progress read through the API while it ran');

    const done = JSON.parse(process.stateJson as string) as BackfillProgress;
    assert.equal(done.stage, 'completed');
    assert.deepEqual(
      { ordersSeen: done.ordersSeen, written: done.written, created: done.created, updated: done.updated, failed: done.failed, pagesRead: done.pagesRead, bulkJobs: done.bulkJobs, pending: done.pending },
      { ordersSeen: expected.length, written: expected.length, created: 20, updated: expected.length - 20, failed: 0, pagesRead: Math.ceil(expected.length / 50), bulkJobs: Math.ceil(expected.length / 100), pending: 0 },
    );
    await assertMirrored(sandbox, expected);
    assert.equal((await sfOrders(sandbox)).length, sfCountBefore + 20, 'the missing orders were created, nothing else');

    const again = await world.call('POST', '/v1/backfills', { body: { since: `${since}T00:00:00Z`, pageSize: 100 } });
    assert.equal(again.status, 202, again.text);
    assert.deepEqual([again.body.workflowId, again.body.runId, again.body.existing, again.body.status], [started.body.workflowId, started.body.runId, true, 'COMPLETED']);

    const invalid = await world.call('POST', '/v1/backfills', { body: { since: 'last week' } });
    assert.equal(invalid.status, 400);
  });

  it('continues as new every few pages keeping the counts, survives an ERP and a Salesforce outage with one alert each, and re-writes without duplicates', async () => {
    const since = daysAgo(50);
    const expected = await changedSince(sandbox, since);
    // The earlier backfill wrote most of these already: writing them again must update, never duplicate.
    diverge(sandbox, expected.slice(-30), 10);
    const sfCountBefore = (await sfOrders(sandbox)).length;
    // Counted rather than timed: each system refuses both bounded attempts (the alert) and the first patient one.
    await admin(sandbox.urls.erpCloud!).fault({ kind: 'outage', method: 'GET', path: '/api/v2/orders', count: 3, durationMs: 600_000 });
    await admin(sandbox.urls.salesforce!).fault({ kind: 'outage', path: '/services/data/*/jobs/ingest*', count: 3, durationMs: 600_000 });

    const { orchestration: taskQueue, salesforce, erp, warehouse, payments } = world.config.taskQueues;
    const started = await startOrderBackfill(world.env.client, { since, pageSize: 40, batchSize: 100, pagesPerRun: 3, alertAfterAttempts: 2, taskQueue, taskQueues: { salesforce, erp, warehouse, payments } });
    const handle = world.env.client.workflow.getHandle<typeof import('../../src/workflows/order-backfill').orderBackfill>(started.workflowId);
    const result = await handle.result();

    const pages = Math.ceil(expected.length / 40);
    assert.equal(result.run, Math.ceil(pages / 3), 'one run per three pages');
    assert.deepEqual(
      { pagesRead: result.pagesRead, ordersSeen: result.ordersSeen, written: result.written, created: result.created, updated: result.updated, failed: result.failed },
      { pagesRead: pages, ordersSeen: expected.length, written: expected.length, created: 10, updated: expected.length - 10, failed: 0 },
    );
    assert.deepEqual([...new Set(result.alerts.map((a) => a.step))].sort(), ['read-changed-orders', 'write-orders-bulk']);
    await assertMirrored(sandbox, expected);
    assert.equal((await sfOrders(sandbox)).length, sfCountBefore + 10);

    // Each run's history stays small; the query answers the final run's progress.
    const last = await handle.describe();
    assert.ok(last.historyLength < 100, `history of the last run: ${last.historyLength} events`);
    assert.equal((await handle.query(backfillProgressQuery)).ordersSeen, expected.length);
  });

  it('cuts a Bulk job at the byte bound as well as the row count: every job\'s rows stay within batchBytes', async () => {
    const since = daysAgo(15);
    const expected = await changedSince(sandbox, since);
    assert.ok(expected.length > 20, `enough orders to split (${expected.length})`);
    const { orchestration: taskQueue, salesforce, erp, warehouse, payments } = world.config.taskQueues;
    const batchBytes = 2048;
    const started = await startOrderBackfill(world.env.client, { since, pageSize: 500, batchSize: 5000, batchBytes, taskQueue, taskQueues: { salesforce, erp, warehouse, payments } });
    const handle = world.env.client.workflow.getHandle(started.workflowId);
    const result = (await handle.result()) as BackfillProgress;
    assert.equal(result.written, expected.length);

    // What each Bulk job carried, read back from the history (decoded like any client would).
    const converter = loadDataConverter(testDataConverter);
    const jobs: unknown[][] = [];
    for (const event of (await handle.fetchHistory()).events ?? []) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name !== 'upsertSalesforceOrdersBulk') continue;
      jobs.push((await decodeArrayFromPayloads(converter, scheduled.input?.payloads))[0] as unknown[]);
    }
    assert.equal(jobs.length, result.bulkJobs);
    assert.ok(jobs.length > 1, 'the row count alone (5000) would have sent one job');
    const sizes = jobs.map((rows) => Buffer.byteLength(JSON.stringify(rows)));
    assert.ok(sizes.every((bytes) => bytes <= batchBytes), `job sizes ${sizes.join(', ')}`);
    assert.ok(sizes.slice(0, -1).every((bytes) => bytes > batchBytes / 2), 'jobs are filled up to the bound, not cut short');
    assert.equal(jobs.reduce((n, rows) => n + rows.length, 0), expected.length);
    await assertMirrored(sandbox, expected);

    const tooSmall = await world.call('POST', '/v1/backfills', { body: { since: daysAgo(16), batchBytes: 100 } });
    assert.equal(tooSmall.status, 400);
  });

  it('through retailctl: sync backfill --wait exits 0 when done, sync status shows the progress', async () => {
    const since = daysAgo(20);
    const expected = await changedSince(sandbox, since);
    diverge(sandbox, expected.slice(0, 10), 5);
    const { orchestration, salesforce, erp, warehouse, payments } = world.config.taskQueues;
    const cliEnv = {
      TEMPORAL_ADDRESS: world.env.address,
      TEMPORAL_NAMESPACE: world.env.namespace ?? 'default',
      TASK_QUEUE_ORCHESTRATION: orchestration,
      TASK_QUEUE_SALESFORCE: salesforce,
      TASK_QUEUE_ERP: erp,
      TASK_QUEUE_WAREHOUSE: warehouse,
      TASK_QUEUE_PAYMENTS: payments,
    };

    const [ran, usage] = await Promise.all([
      runCli(['sync', 'backfill', '--since', since, '--page-size', '100', '--batch-size', '200', '--wait', '--json'], cliEnv),
      runCli(['sync', 'backfill', '--since', '2025-02-30'], cliEnv),
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    const answer = jsonOf<{ workflowId: string; existing: boolean; process: { status: string; state: BackfillProgress } }>(ran);
    assert.deepEqual([answer.workflowId, answer.existing, answer.process.status], [`backfill/${since}`, false, 'COMPLETED']);
    assert.equal(answer.process.state.ordersSeen, expected.length);
    assert.equal(answer.process.state.created, 5);
    assert.ok(ran.stderr.includes(answer.workflowId), 'a progress line while waiting');
    assert.equal(usage.code, 2, usage.stderr);
    await assertMirrored(sandbox, expected);

    const [status, byDate, unknown] = await Promise.all([
      runCli(['sync', 'status', answer.workflowId, '--json'], cliEnv),
      runCli(['sync', 'status', since], cliEnv),
      runCli(['sync', 'status', 'backfill/1999-01-01'], cliEnv),
    ]);
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual(jsonOf<{ state: BackfillProgress }>(status).state.written, expected.length);
    assert.equal(byDate.code, 0, byDate.stderr);
    assert.ok(byDate.stdout.includes(answer.workflowId));
    assert.equal(unknown.code, 3, unknown.stderr);
  });
});
