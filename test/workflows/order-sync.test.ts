import assert from 'node:assert/strict';
import type { Sandbox } from '../../sandbox';
import type { OrderEvent } from '../../src/domain/order-event';
import { orderEventSignal, orderSync, orderSyncStateQuery, orderSyncWorkflowId, type OrderSyncInput } from '../../src/workflows/order-sync';
import { eventually } from './case-resolution-world';
import { erpStatusEvent, orderSyncWorld } from './order-sync-world';

/** The Salesforce sandbox's Order records by order number. */
async function salesforceOrders(sandbox: Sandbox): Promise<Map<string, Record<string, unknown>>> {
  const state = (await (await fetch(`${sandbox.urls.salesforce}/__sandbox/state`)).json()) as { records: Record<string, Record<string, Record<string, unknown>>> };
  return new Map(Object.values(state.records.Order ?? {}).map((r) => [String(r.Order_Number__c), r]));
}

/** orderSync driven by signals directly: continue-as-new carries the state and the dedup memory; a complete order closes after its grace. */
describe('orderSync workflow', function () {
  this.timeout(90_000);
  const fx = orderSyncWorld('order-sync');

  const erp = erpStatusEvent;

  it('continues as new before the history grows large, keeping the state and the dedup memory, and closes after the grace once complete', async () => {
    // An order the HTTP suite never touches (the server is shared): allocated, early in the seed.
    const order = fx.sandbox.world().orders.slice(0, 280).filter((o) => o.status === 'allocated')[20];
    const n = order.orderNumber;
    const { orchestration, salesforce, erp: erpQueue, warehouse, payments } = fx.config.taskQueues;
    const input: OrderSyncInput = { orderNumber: n, settings: { coalesceWindow: '200 ms', maxHistoryEvents: 40, closeAfterCompleteGrace: '2 seconds' }, taskQueues: { salesforce, erp: erpQueue, warehouse, payments } };
    const send = (...events: OrderEvent[]) =>
      fx.env.client.workflow.signalWithStart(orderSync, { workflowId: orderSyncWorkflowId(n), taskQueue: orchestration, args: [input], signal: orderEventSignal, signalArgs: events });

    let sent = 0;
    for (let sequence = 2; sequence <= 31; sequence++) {
      await send(erp(n, sequence, sequence % 2 ? 'shipped' : 'allocated'));
      sent++;
    }
    const handle = fx.env.client.workflow.getHandle(orderSyncWorkflowId(n));
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
    assert.ok((await fx.env.client.workflow.count(`WorkflowId = "${orderSyncWorkflowId(n)}"`)).count >= 2, 'more than one run');
    assert.equal((await salesforceOrders(fx.sandbox)).get(n)?.Status, 'Delivered');
  });

  it('widens the coalescing window while a burst lasts (one write for the burst) and keeps it short for a quiet order', async () => {
    const [busy, quiet] = fx.sandbox.world().orders.slice(0, 280).filter((o) => o.status === 'allocated').slice(30, 32);
    const { orchestration, salesforce, erp: erpQueue, warehouse, payments } = fx.config.taskQueues;
    const settings = { coalesceWindow: '400 ms', maxCoalesceWindow: '20 seconds', closeAfterCompleteGrace: '1 hour' };
    const send = (n: string, ...events: OrderEvent[]) =>
      fx.env.client.workflow.signalWithStart(orderSync, {
        workflowId: orderSyncWorkflowId(n),
        taskQueue: orchestration,
        args: [{ orderNumber: n, settings, taskQueues: { salesforce, erp: erpQueue, warehouse, payments } }],
        signal: orderEventSignal,
        signalArgs: events,
      });

    // A burst spread over ~3 s, one event every 250 ms: longer than ten base windows' worth of gaps.
    for (let sequence = 2; sequence <= 13; sequence++) {
      await send(busy.orderNumber, erp(busy.orderNumber, sequence, sequence % 2 ? 'shipped' : 'allocated'));
      await new Promise((r) => setTimeout(r, 250));
    }
    const busyHandle = fx.env.client.workflow.getHandle(orderSyncWorkflowId(busy.orderNumber));
    const written = await eventually(async () => {
      const s = await busyHandle.query(orderSyncStateQuery);
      return !s.pendingChange && s.salesforce.written?.version === s.version ? s : undefined;
    }, 30_000, 'the burst written');
    assert.equal(written.events.received, 12);
    assert.equal(written.salesforce.writes, 1, 'the whole burst became one Salesforce write');
    assert.equal(written.salesforce.written?.status, 'shipped');

    await send(quiet.orderNumber, erp(quiet.orderNumber, 2, 'shipped'));
    const quietHandle = fx.env.client.workflow.getHandle(orderSyncWorkflowId(quiet.orderNumber));
    await eventually(async () => ((await quietHandle.query(orderSyncStateQuery)).salesforce.writes === 1 ? true : undefined), 20_000, 'the quiet order written');
    // The timers the workflow set: the burst's windows doubled; the lone event waited one base window.
    const timers = async (handle: typeof quietHandle) =>
      ((await handle.fetchHistory()).events ?? []).flatMap((e) => (e.timerStartedEventAttributes ? [Number(e.timerStartedEventAttributes.startToFireTimeout?.seconds ?? 0) * 1000 + Math.round((e.timerStartedEventAttributes.startToFireTimeout?.nanos ?? 0) / 1e6)] : []));
    assert.deepEqual(await timers(quietHandle), [400]);
    const burstTimers = await timers(busyHandle);
    assert.equal(burstTimers[0], 400);
    assert.ok(burstTimers.length >= 2 && burstTimers.every((ms, i) => i === 0 || ms === Math.min(burstTimers[i - 1] * 2, 20_000 - burstTimers.slice(0, i).reduce((a, b) => a + b, 0))), `doubling windows: ${burstTimers}`);
    await Promise.all([busyHandle.terminate('test done'), quietHandle.terminate('test done')]);
  });
});
