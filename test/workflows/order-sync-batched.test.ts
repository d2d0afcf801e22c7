import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { Sandbox } from '../../sandbox';
import { buildActivities } from '../../src/activities';
import type { Config } from '../../src/config';
import type { OrderEvent } from '../../src/domain/order-event';
import { createWorkers, shutdownWorkers } from '../../src/workers/workers';
import { orderEventSignal, orderSync, orderSyncStateQuery, orderSyncWorkflowId } from '../../src/workflows/order-sync';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, testEnvTimeoutMs } from '../helpers/temporal';
import { eventually } from './case-resolution-world';
import { erpStatusEvent } from './order-sync-world';

const COLLECTION_UPSERT = /\/composite\/sobjects\/Order\/Order_Number__c$/;

/** Many orders' syncs writing at once: the Salesforce worker sends their upserts as shared collections calls. */
describe('orderSync writes batched across orders', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let sandbox: Sandbox;
  let config: Config;
  let workers: Worker[];
  let running: Promise<unknown>[];
  let closeActivities: () => Promise<void>;
  let startSalesforceWorker: () => Promise<void>;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    env = await getTestEnv();
    sandbox = await startTestSandbox(['salesforce', 'erpCloud']);
    const queues = isolatedQueueEnv('order-sync-batched');
    config = configFor(sandbox, { ...queues, SALESFORCE_ORDER_BATCH_WINDOW_MS: '1000' });
    const activities = buildActivities(config);
    closeActivities = () => activities.close();
    // The Salesforce queue's worker starts once every order sync waits on its write, so the writes meet however slow the machine.
    const others = configFor(sandbox, { ...queues, WORKER_TASK_QUEUES: 'orchestration,erp,warehouse,payments' });
    workers = await createWorkers(others, { connection: env.nativeConnection, workflowBundle: await getWorkflowBundle(), activities });
    running = workers.map((w) => w.run());
    startSalesforceWorker = async () => {
      if (workers.some((w) => w.options.taskQueue === config.taskQueues.salesforce)) return;
      const [salesforceWorker] = await createWorkers({ ...config, worker: { ...config.worker, taskQueues: ['salesforce'] } }, { connection: env.nativeConnection, activities });
      workers.push(salesforceWorker);
      running.push(salesforceWorker.run());
    };
  });
  afterEach(async () => {
    await admin(sandbox.urls.salesforce!).clearFaults();
  });
  after(async () => {
    shutdownWorkers(workers);
    await Promise.all(running);
    await closeActivities();
    await sandbox?.close();
  });

  const erp = erpStatusEvent;
  const startAll = (orderNumbers: string[], status: OrderEvent['status']) => {
    const { orchestration, salesforce, erp: erpQueue, warehouse, payments } = config.taskQueues;
    const settings = { coalesceWindow: '300 ms', maxCoalesceWindow: '300 ms', closeAfterCompleteGrace: '1 hour' };
    return Promise.all(
      orderNumbers.map((n) =>
        env.client.workflow.signalWithStart(orderSync, {
          workflowId: orderSyncWorkflowId(n),
          taskQueue: orchestration,
          args: [{ orderNumber: n, settings, taskQueues: { salesforce, erp: erpQueue, warehouse, payments } }],
          signal: orderEventSignal,
          signalArgs: [erp(n, 50, status)],
        }),
      ),
    );
  };
  const settled = (n: string) =>
    eventually(async () => {
      const s = await env.client.workflow.getHandle(orderSyncWorkflowId(n)).query(orderSyncStateQuery);
      return !s.pendingChange && (s.salesforce.written?.version === s.version || s.salesforce.lastError) ? s : undefined;
    }, 60_000, `order ${n} written or refused`);
  const salesforceOrders = async () => {
    const state = (await (await fetch(`${sandbox.urls.salesforce}/__sandbox/state`)).json()) as { records: { Order: Record<string, Record<string, unknown>> } };
    return Object.values(state.records.Order).filter((r) => r.Order_Number__c);
  };
  const terminate = (orderNumbers: string[]) => Promise.all(orderNumbers.map((n) => env.client.workflow.getHandle(orderSyncWorkflowId(n)).terminate('test done')));

  it('lands concurrent order syncs\' writes in one collections request; a record Salesforce refuses fails only its own order, non-retryably', async () => {
    const orders = sandbox.world().orders.slice(0, 280).filter((o) => o.status === 'allocated').slice(40, 52).map((o) => o.orderNumber);
    // Unknown to the ERP and to Salesforce: the upsert would create an Order without account or date, which Salesforce refuses.
    const refused = 'SO-BATCH-UNKNOWN-1';
    const since = await admin(sandbox.urls.salesforce!).mark();
    await startAll([...orders, refused], 'shipped');
    await Promise.all([...orders, refused].map((n) => eventually(async () => {
      const { raw } = await env.client.workflow.getHandle(orderSyncWorkflowId(n)).describe();
      return raw.pendingActivities?.some((a) => a.activityType?.name === 'upsertSalesforceOrderStatus') ? true : undefined;
    }, 60_000, `order ${n} waiting on its Salesforce write`)));
    await startSalesforceWorker();
    const states = await Promise.all([...orders, refused].map(settled));

    const requests = (await admin(sandbox.urls.salesforce!).requests(since)).requests.filter((r) => r.method === 'PATCH' && /\/sobjects\/Order\//.test(r.path));
    assert.deepEqual(requests.map((r) => [COLLECTION_UPSERT.test(r.path), r.status]), [[true, 200]], `one collections request for ${orders.length + 1} orders`);
    const records = await salesforceOrders();
    for (const [i, n] of orders.entries()) {
      assert.equal(states[i].salesforce.writes, 1);
      assert.equal(states[i].salesforce.lastError, undefined);
      const mine = records.filter((r) => r.Order_Number__c === n);
      assert.deepEqual(mine.map((r) => r.Status), ['Shipped'], `${n} shown as shipped, once`);
    }
    const failed = states.at(-1)!;
    assert.equal(failed.salesforce.writes, 0);
    assert.equal(failed.salesforce.lastError?.errorType, 'ValidationError');
    assert.equal(records.filter((r) => r.Order_Number__c === refused).length, 0);
    // Refused on its first attempt: non-retryable, no second try.
    const history = await env.client.workflow.getHandle(orderSyncWorkflowId(refused)).fetchHistory();
    const events = history.events ?? [];
    const upserts = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'upsertSalesforceOrderStatus').map((e) => Number(e.eventId));
    const failures = events.flatMap((e) => (e.activityTaskFailedEventAttributes && upserts.includes(Number(e.activityTaskFailedEventAttributes.scheduledEventId)) ? [e.activityTaskFailedEventAttributes.failure] : []));
    assert.equal(upserts.length, 1);
    assert.equal(failures.length, 1);
    assert.deepEqual([failures[0]?.applicationFailureInfo?.type, failures[0]?.applicationFailureInfo?.nonRetryable], ['ValidationError', true]);
    await terminate([...orders, refused]);
  });

  it('retries a batch Salesforce answered 503 without duplicating any order', async () => {
    const orders = sandbox.world().orders.slice(0, 280).filter((o) => o.status === 'allocated').slice(52, 62).map((o) => o.orderNumber);
    await admin(sandbox.urls.salesforce!).fault({ kind: 'error', status: 503, errorCode: 'SERVER_UNAVAILABLE', message: 'down for maintenance', method: 'PATCH', path: '/services/data/*/composite/sobjects/Order/Order_Number__c', count: 1 });
    const since = await admin(sandbox.urls.salesforce!).mark();
    await startSalesforceWorker();
    await startAll(orders, 'delivered');
    const states = await Promise.all(orders.map(settled));

    const requests = (await admin(sandbox.urls.salesforce!).requests(since)).requests.filter((r) => r.method === 'PATCH' && /\/sobjects\/Order\//.test(r.path));
    assert.ok(requests.every((r) => COLLECTION_UPSERT.test(r.path)), 'every write a collections call');
    assert.equal(requests[0].status, 503);
    assert.ok(requests.length >= 2 && requests.length < orders.length, `the retries shared requests too: ${requests.length} for ${orders.length} orders`);
    const records = await salesforceOrders();
    for (const [i, n] of orders.entries()) {
      assert.deepEqual([states[i].salesforce.writes, states[i].salesforce.lastError], [1, undefined]);
      assert.deepEqual(records.filter((r) => r.Order_Number__c === n).map((r) => r.Status), ['Delivered'], `${n} once, delivered`);
    }
    await terminate(orders);
  });
});
