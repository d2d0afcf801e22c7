import { buildWorld } from '../../sandbox/seed/world';
import type { OrderEvent } from '../../src/domain/order-event';
import { orderEventSignal, orderSync, orderSyncWorkflowId } from '../../src/workflows/order-sync';
import type { Recording } from './recording';

/** An allocated order shipped and delivered by ERP and warehouse events (with a duplicate and a stale one), written to Salesforce, closed after its grace. */
export const recorder = (): Recording => {
  const order = buildWorld().orders.find((o) => o.status === 'allocated')!;
  const n = order.orderNumber;
  const workflowId = orderSyncWorkflowId(n);
  const at = (s: number) => new Date(Date.now() - 600_000 + s * 1000).toISOString();
  const erp = (sequence: number, status: OrderEvent['status']): OrderEvent => ({ eventId: `evt-erp-${n}-${sequence}`, source: 'erp', type: 'order.status_changed', orderNumber: n, sequence, status, occurredAt: at(sequence) });
  const shipped: OrderEvent = { eventId: 'WEV-REC-1', source: 'warehouse', type: 'shipment.shipped', orderNumber: n, sequence: 1, occurredAt: at(3), shipment: { releaseId: 'REL-REC', shipmentId: 'SHP-REC', trackingNumber: '1ZRECORDED01', carrier: 'UPS', milestone: 'picked_up', releaseStatus: 'shipped' } };
  return {
    workflowId,
    run: async (client, config) => {
      const { salesforce, erp: erpQueue, warehouse, payments } = config.taskQueues;
      const send = (...events: OrderEvent[]) =>
        client.workflow.signalWithStart(orderSync, {
          workflowId,
          taskQueue: config.taskQueues.orchestration,
          args: [{ orderNumber: n, settings: { coalesceWindow: '500 ms', closeAfterCompleteGrace: '1 second' }, taskQueues: { salesforce, erp: erpQueue, warehouse, payments } }],
          signal: orderEventSignal,
          signalArgs: events,
        });
      await send(erp(3, 'shipped'), shipped, erp(3, 'shipped'), erp(2, 'allocated'));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await send(erp(4, 'delivered'));
      await client.workflow.getHandle(workflowId).result();
    },
  };
};

export const paths: Record<string, () => Recording> = {
  /** Forty status events in a few bursts: the run continues as new carrying its state; the first run (with the command) is recorded. */
  'continued-as-new': () => {
    const order = buildWorld().orders.filter((o) => o.status === 'allocated')[3];
    const n = order.orderNumber;
    const workflowId = orderSyncWorkflowId(n);
    return {
      workflowId,
      firstRun: true,
      run: async (client, config) => {
        const { salesforce, erp: erpQueue, warehouse, payments } = config.taskQueues;
        let firstRunId: string | undefined;
        for (let sequence = 2; sequence <= 41; sequence++) {
          const event: OrderEvent = { eventId: `evt-can-${n}-${sequence}`, source: 'erp', type: 'order.status_changed', orderNumber: n, sequence, status: sequence === 41 ? 'delivered' : sequence % 2 ? 'shipped' : 'allocated', occurredAt: new Date(Date.now() - 600_000 + sequence * 1000).toISOString() };
          const handle = await client.workflow.signalWithStart(orderSync, {
            workflowId,
            taskQueue: config.taskQueues.orchestration,
            args: [{ orderNumber: n, settings: { coalesceWindow: '100 ms', maxHistoryEvents: 40, closeAfterCompleteGrace: '1 second' }, taskQueues: { salesforce, erp: erpQueue, warehouse, payments } }],
            signal: orderEventSignal,
            signalArgs: [event],
          });
          firstRunId ??= handle.signaledRunId;
        }
        await client.workflow.getHandle(workflowId).result();
        return firstRunId;
      },
    };
  },
};
