import { orderBackfill } from '../../src/workflows';
import type { Recording } from './recording';

/**
 * A small backfill that continues as new: the orders changed in the ERP just now (six, and any the seed dates later today), two per page,
 * written three per Bulk job, two pages per run. The stored history is the last run's (carried
 * progress and cursor in, completion out).
 */
export const recorder = (): Recording => {
  const workflowId = 'backfill/recorded';
  return {
    workflowId,
    run: async (client, config, sandbox) => {
      const since = new Date(Date.now() - 1000).toISOString();
      const orders = sandbox.world().orders.slice(0, 6);
      for (const [i, order] of orders.entries()) {
        const res = await fetch(`${sandbox.urls.erpCloud}/__sandbox/erp/orders/${order.orderNumber}/status`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ status: i % 2 ? 'shipped' : 'delivered' }),
        });
        if (!res.ok) throw new Error(`change ${order.orderNumber}: ${res.status} ${await res.text()}`);
      }
      const { salesforce, erp, warehouse, payments } = config.taskQueues;
      const handle = await client.workflow.start(orderBackfill, {
        taskQueue: config.taskQueues.orchestration,
        workflowId,
        args: [{ since, pageSize: 2, batchSize: 3, pagesPerRun: 2, taskQueues: { salesforce, erp, warehouse, payments } }],
      });
      const result = await handle.result();
      if (result.ordersSeen < 6 || result.run < 2) throw new Error(`unexpected backfill: ${JSON.stringify(result)}`);
    },
  };
};
