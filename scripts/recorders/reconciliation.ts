import { previousBusinessDate, reconciliationWorkflowId } from '../../src/domain/reconciliation';
import type { reconciliation } from '../../src/workflows/reconciliation';
import type { Recording } from './recording';

/**
 * Reconciles the day before the world's base date: the sandbox seeds adjustments there with no refund and
 * no credit memo, so the run lists all three systems, classifies, and opens exception Tasks on their Cases.
 */
export const recorder = (): Recording => {
  const businessDate = previousBusinessDate(new Date());
  const workflowId = reconciliationWorkflowId(businessDate);
  return {
    workflowId,
    run: async (client, config) => {
      const { salesforce, erp, warehouse, payments } = config.taskQueues;
      const handle = await client.workflow.start<typeof reconciliation>('reconciliation', {
        taskQueue: config.taskQueues.orchestration,
        workflowId,
        args: [{ businessDate, taskQueues: { salesforce, erp, warehouse, payments } }],
      });
      await handle.result();
    },
  };
};
