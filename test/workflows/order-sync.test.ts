import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { Sandbox } from '../../sandbox';
import { buildActivities } from '../../src/activities';
import type { Config } from '../../src/config';
import type { OrderEvent } from '../../src/domain/order-event';
import { createWorkers, shutdownWorkers } from '../../src/workers/workers';
import { orderEventSignal, orderSync, orderSyncStateQuery, orderSyncWorkflowId, type OrderSyncInput } from '../../src/workflows/order-sync';
import { configFor, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, testEnvTimeoutMs } from '../helpers/temporal';
import { eventually } from './case-resolution-world';

/** The Salesforce sandbox's Order records by order number. */
async function salesforceOrders(sandbox: Sandbox): Promise<Map<string, Record<string, unknown>>> {
  const state = (await (await fetch(`${sandbox.urls.salesforce}/__sandbox/state`)).json()) as { records: Record<string, Record<string, Record<string, unknown>>> };
  return new Map(Object.values(state.records.Order ?? {}).map((r) => [String(r.Order_Number__c), r]));
}

/** orderSync driven by signals directly: continue-as-new carries the state and the dedup memory; a complete order closes after its grace. */
describe('orderSync workflow', function () {
  this.timeout(90_000);
  let env: TestWorkflowEnvironment;
  let sandbox: Sandbox;
  let config: Config;
  let workers: Worker[];
  let running: Promise<unknown>;
  let closeActivities: () => void;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    env = await getTestEnv();
    sandbox = await startTestSandbox(['salesforce', 'erpCloud']);
    config = configFor(sandbox, isolatedQueueEnv('order-sync'));
    const activities = buildActivities(config);
    closeActivities = () => activities.close();
    workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle: await getWorkflowBundle(), activities });
    running = Promise.all(workers.map((w) => w.run()));
  });
  after(async () => {
    shutdownWorkers(workers);
    await running;
    closeActivities();
    await sandbox?.close();
  });

  const erp = (orderNumber: string, sequence: number, status: OrderEvent['status']): OrderEvent => ({
    eventId: `evt-erp-${orderNumber}-${sequence}`,
    source: 'erp',
    type: 'order.status_changed',
    orderNumber,
    sequence,
    status,
    occurredAt: new Date(Date.now() - 3_600_000 + sequence * 1000).toISOString(),
  });

  it('continues as new before the history grows large, keeping the state and the dedup memory, and closes after the grace once complete', async () => {
    // An order the HTTP suite never touches (the server is shared): allocated, early in the seed.
    const order = sandbox.world().orders.slice(0, 280).filter((o) => o.status === 'allocated')[20];
    const n = order.orderNumber;
    const { orchestration, salesforce, erp: erpQueue, warehouse, payments } = config.taskQueues;
    const input: OrderSyncInput = { orderNumber: n, settings: { coalesceWindow: '200 ms', maxHistoryEvents: 40, closeAfterCompleteGrace: '2 seconds' }, taskQueues: { salesforce, erp: erpQueue, warehouse, payments } };
    const send = (...events: OrderEvent[]) =>
      env.client.workflow.signalWithStart(orderSync, { workflowId: orderSyncWorkflowId(n), taskQueue: orchestration, args: [input], signal: orderEventSignal, signalArgs: events });

    let sent = 0;
    for (let sequence = 2; sequence <= 31; sequence++) {
      await send(erp(n, sequence, sequence % 2 ? 'shipped' : 'allocated'));
      sent++;
    }
    const handle = env.client.workflow.getHandle(orderSyncWorkflowId(n));
    const before = await eventually(async () => {
      const s = await handle.query(orderSyncStateQuery);
      return s.continuedAsNew >= 1 && s.events.received === sent && !s.pendingChange ? s : undefined;
    }, 30_000, 'a continued run with every event');
    assert.equal(before.status, 'shipped');
    assert.equal(before.erpVersion, 31);

    // Events of an earlier run: remembered (duplicate) or older (out of order), never applied again.
    await send(erp(n, 3, 'shipped'), erp(n, 30, 'allocated'));
    await send({ ...erp(n, 29, 'allocated'), eventId: 'evt-late-29' });
    await send(erp(n, 32, 'delivered'));
    sent += 4;

    const result = await handle.result();
    assert.ok(result.continuedAsNew >= 1, `continued as new ${result.continuedAsNew} times`);
    assert.deepEqual(result.events, { received: sent, applied: 31, duplicates: 2, outOfOrder: 1 });
    assert.deepEqual([result.status, result.erpVersion], ['delivered', 32]);
    assert.equal(result.salesforce.written?.status, 'delivered');
    assert.ok((await env.client.workflow.count(`WorkflowId = "${orderSyncWorkflowId(n)}"`)).count >= 2, 'more than one run');
    assert.equal((await salesforceOrders(sandbox)).get(n)?.Status, 'Delivered');
  });
});
