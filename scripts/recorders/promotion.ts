import { promotionWorkflowId, type promotion } from '../../src/workflows/promotion';
import type { Recording } from './recording';

/** A promotion started directly (as the feed starts it) with no feed to bring its standard price to Salesforce: scheduled, held past its start (Salesforce refuses the promotional price), ended at its end. */
export const recorder = (): Recording => {
  const promotionId = 'PROMO-RECORDED';
  const workflowId = promotionWorkflowId(promotionId);
  return {
    workflowId,
    run: async (client, config, sandbox) => {
      const erp = sandbox.urls.erpCloud!;
      const at = (ms: number) => new Date(Date.now() + ms).toISOString();
      const res = await fetch(`${erp}/__sandbox/erp/promotions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ promotionId, name: 'Recorded', skus: ['SKU-00001'], percentOff: 10, startAt: at(3_000), endAt: at(8_000) }),
      });
      if (!res.ok) throw new Error(`the sandbox refused the promotion: ${res.status}`);
      const { salesforce, erp: erpQueue, warehouse, payments } = config.taskQueues;
      const handle = await client.workflow.start<typeof promotion>('promotion', { workflowId, taskQueue: config.taskQueues.orchestration, args: [{ promotionId, settings: { recheckInitialMs: 500, recheckMaxMs: 1_000 }, taskQueues: { salesforce, erp: erpQueue, warehouse, payments } }] });
      await handle.result();
    },
  };
};
