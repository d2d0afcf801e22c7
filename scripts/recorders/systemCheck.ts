import { buildWorld } from '../../sandbox/seed/world';
import { systemCheck } from '../../src/workflows';
import type { Recording } from './recording';

export const recorder = (): Recording => {
  const world = buildWorld();
  const kase = world.cases[0];
  const order = world.orders.find((o) => o.orderNumber === kase.orderNumber)!;
  const shipment = world.shipments.find((s) => s.orderNumber === order.orderNumber) ?? world.shipments[0];
  const workflowId = 'system-check/recorded';
  return {
    workflowId,
    run: async (client, config) => {
      const { salesforce, erp, warehouse, payments } = config.taskQueues;
      await client.workflow.execute(systemCheck, {
        taskQueue: config.taskQueues.orchestration,
        workflowId,
        args: [{ caseNumber: kase.caseNumber, orderNumber: order.orderNumber, paymentId: order.paymentId, trackingNumber: shipment.trackingNumber, taskQueues: { salesforce, erp, warehouse, payments } }],
      });
    },
  };
};
