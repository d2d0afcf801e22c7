import type { Client } from '@temporalio/client';
import type { Config } from '../../src/config';
import type { StockChange } from '../../src/domain/stock-event';
import { stockChangeSignal, stockSync, stockSyncStateQuery, stockSyncWorkflowId, type StockSyncSettingsInput } from '../../src/workflows/stock-sync';
import type { Recording } from './recording';

const change = (sku: string, location: string, source: StockChange['source'], sequence: number, onHand: number, reserved = 0): StockChange => ({
  eventId: `evt-rec-${source}-${sku}-${sequence}`,
  source,
  sku,
  location,
  onHand,
  reserved,
  available: Math.max(0, onHand - reserved),
  sequence,
  occurredAt: new Date(Date.now() - 600_000 + sequence * 1000).toISOString(),
});

function sender(client: Client, config: Config, location: string, settings: StockSyncSettingsInput) {
  const { salesforce, erp, warehouse, payments } = config.taskQueues;
  return (...changes: StockChange[]) =>
    client.workflow.signalWithStart(stockSync, {
      workflowId: stockSyncWorkflowId(location, 0),
      taskQueue: config.taskQueues.orchestration,
      args: [{ location, shard: 0, settings, taskQueues: { salesforce, erp, warehouse, payments } }],
      signal: stockChangeSignal,
      signalArgs: changes,
    });
}

/** Waits until the shard has nothing left to write. */
async function settled(client: Client, workflowId: string, writes: number): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const state = await client.workflow.getHandle(workflowId).query(stockSyncStateQuery);
    if (state.pending === 0 && state.salesforce.writes >= writes) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${workflowId} did not write its stock within 60 s`);
}

/** Two SKUs counted by the ERP and the warehouse (with a duplicate, a stale and a superseded count), written in two bursts; the entity never closes, so the recording stops it. */
export const recorder = (): Recording => {
  const location = 'WH-RECORDED';
  const workflowId = stockSyncWorkflowId(location, 0);
  return {
    workflowId,
    run: async (client, config) => {
      const send = sender(client, config, location, { coalesceWindow: '500 ms', maxCoalesceWindow: '2 seconds' });
      const first = change('SKU-REC-1', location, 'erp', 5, 12, 2);
      await send(first, change('SKU-REC-1', location, 'erp', 3, 40), first, change('SKU-REC-2', location, 'warehouse', 1, 7));
      await send(change('SKU-REC-2', location, 'warehouse', 2, 6, 1));
      await settled(client, workflowId, 1);
      await send(change('SKU-REC-1', location, 'warehouse', 1, 3), change('SKU-REC-1', location, 'erp', 9, 10));
      await settled(client, workflowId, 2);
      await client.workflow.getHandle(workflowId).terminate('recorded');
    },
  };
};

export const paths: Record<string, () => Recording> = {
  /** Counts in many small signals: the run continues as new carrying its state; the first run (with the command) is recorded. */
  'continued-as-new': () => {
    const location = 'WH-RECORDED-CAN';
    const workflowId = stockSyncWorkflowId(location, 0);
    return {
      workflowId,
      firstRun: true,
      run: async (client, config) => {
        const send = sender(client, config, location, { coalesceWindow: '100 ms', maxCoalesceWindow: '200 ms', maxHistoryEvents: 40 });
        let firstRunId: string | undefined;
        for (let sequence = 1; sequence <= 40; sequence++) {
          const handle = await send(change(`SKU-CAN-${sequence % 3}`, location, 'erp', sequence, 100 - sequence));
          firstRunId ??= handle.signaledRunId;
        }
        for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
          const state = await client.workflow.getHandle(workflowId).query(stockSyncStateQuery);
          if (state.continuedAsNew > 0 && state.pending === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        await client.workflow.getHandle(workflowId).terminate('recorded');
        return firstRunId;
      },
    };
  },
};
