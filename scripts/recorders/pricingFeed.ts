import type { Client } from '@temporalio/client';
import { startPricingFeed } from '../../src/client/pricing';
import { pricingFeedStateQuery, pricingFeedWorkflowId } from '../../src/workflows/pricing-feed';
import type { Recording } from './recording';

/** Waits until the feed has read past the watermark and written everything pending. */
async function settled(client: Client, watermark: number): Promise<void> {
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
    const state = await client.workflow.getHandle(pricingFeedWorkflowId).query(pricingFeedStateQuery);
    if (state.watermark >= watermark && Object.keys(state.pending).length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${pricingFeedWorkflowId} did not catch up within 120 s`);
}

/** The initial load of the seeded list prices, one price change and one new price list; the feed never closes, so the recording stops it. */
export const recorder = (): Recording => ({
  workflowId: pricingFeedWorkflowId,
  run: async (client, config, sandbox) => {
    const erp = sandbox.urls.erpCloud!;
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${erp}${path}`, { method, headers: { 'x-api-key': 'erp-sandbox-key', 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
      return (await res.json()) as { watermark?: number };
    };
    const { orchestration: taskQueue, salesforce, erp: erpQueue, warehouse, payments } = config.taskQueues;
    await startPricingFeed(client, { taskQueue, settings: { pollIntervalMs: 500 }, taskQueues: { salesforce, erp: erpQueue, warehouse, payments } });
    await settled(client, (await call('GET', '/api/v2/pricing/changes?since=0&pageSize=1')).watermark ?? 0);
    await call('PUT', '/__sandbox/erp/price-lists/LIST-STD-USD/prices/SKU-00001', { unitPrice: '10.00' });
    await call('POST', '/__sandbox/erp/price-lists', { listId: 'LIST-RECORDED', name: 'Recorded', currency: 'USD' });
    await call('PUT', '/__sandbox/erp/price-lists/LIST-RECORDED/prices/SKU-00001', { unitPrice: '8.00' });
    await settled(client, (await call('GET', '/api/v2/pricing/changes?since=0&pageSize=1')).watermark ?? 0);
    await client.workflow.getHandle(pricingFeedWorkflowId).terminate('recorded');
  },
});
