import { allHandlersFinished, condition, continueAsNew, isCancellation, log, setHandler, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import { createAlerter, type Alert } from './lib/alerts';
import { parseInput } from './lib/case-facts';
import { coalesceBurst } from './lib/coalesce';
import { failureType, untilSucceeded } from './lib/persistent';
import { resolveQueues, type SystemQueues } from './lib/queues';
import { stockSyncActivities } from './stock-sync/activities';
import { stockChangeSignal, stockSyncStateQuery } from './stock-sync/definitions';
import { resolveStockSettings, type StockSyncSettingsInput } from './stock-sync/settings';
import { StockFold, type StockSyncState } from './stock-sync/stock-state';

/**
 * stockSync (stock/{location}/{shard}): the entity workflow of one shard of a location's stock.
 * Stock changes from the ERP and the warehouse arrive by signal (signalWithStart from
 * POST /v1/stock-events/{source}); duplicates and stale ones are dropped, the rest folded into
 * each SKU's availability; a burst becomes one sObject Collections upsert of Product_Availability__c
 * (by Availability_Key__c) per 200 changed SKUs per coalescing window. It never closes: it is the
 * yardstick that keeps a late, stale count from rolling Salesforce back, so it continues-as-new
 * with its state before its history grows large.
 */

export { stockChangeSignal, stockSyncStateQuery, stockSyncWorkflowId } from './stock-sync/definitions';
export type { StockSyncState, SkuLocationStock } from './stock-sync/stock-state';
export type { StockSyncSettings, StockSyncSettingsInput } from './stock-sync/settings';

export interface StockSyncInput {
  location: string;
  shard: number;
  /** The previous run's state (continue-as-new). */
  carried?: StockSyncState;
  settings?: StockSyncSettingsInput;
  taskQueues?: Partial<SystemQueues>;
}

// The carried state is this workflow's own (continue-as-new); the rest is checked before it is used.
const StockSyncInputSchema = z.object({
  location: z.string().min(1).max(64),
  shard: z.number().int().nonnegative(),
  carried: z.object({}).loose().optional(),
  settings: z.object({}).loose().optional(),
  taskQueues: z.record(z.string(), z.string().min(1)).optional(),
});

export async function stockSync(input: StockSyncInput): Promise<never> {
  parseInput(StockSyncInputSchema, input, 'stock sync input');
  const settings = resolveStockSettings(input.settings);
  const queues = resolveQueues(input.taskQueues);
  const systems = stockSyncActivities(queues);
  const alerts: Alert[] = [];
  const alert = createAlerter({ salesforceQueue: queues.salesforce, alerts });
  const stock = new StockFold(input.location, input.shard, input.carried, settings.dedupMemory);

  setHandler(stockChangeSignal, (...changes) => changes.forEach((c) => stock.receive(c)));
  setHandler(stockSyncStateQuery, () => ({ ...stock.state, pending: stock.pendingCount, alerts: [...alerts] }));

  const historyIsLarge = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= settings.maxHistoryEvents;

  /** Every changed SKU of the shard, 200 to a Salesforce call. */
  const writeToSalesforce = async () => {
    const updates = stock.pendingUpdates();
    for (let i = 0; i < updates.length; i += settings.writeBatchSize) {
      const batch = updates.slice(i, i + settings.writeBatchSize);
      try {
        const answer = await untilSucceeded(`salesforce-stock:${input.location}/${input.shard}`, (p) =>
          systems.salesforce[p].upsertSalesforceStockAvailability.executeWithOptions({ summary: `Salesforce: availability of ${batch.length} SKUs at ${input.location}` }, [batch]),
        alert);
        stock.state.salesforce.writes += 1;
        stock.state.salesforce.lastWriteAt = answer.writtenAt;
        stock.state.salesforce.lastWriteMaxLagMs = Math.max(0, ...batch.map((u) => Date.parse(answer.writtenAt) - Date.parse(u.changedAt)));
        batch.forEach((u, k) => stock.written(u, answer.results[k] ?? { ok: false, errorCode: 'NO_RESULT' }, answer.writtenAt));
      } catch (err) {
        if (isCancellation(err)) throw err;
        // Salesforce refused the whole call (a bad request): its SKUs wait for their next change.
        const at = new Date().toISOString();
        batch.forEach((u) => stock.written(u, { ok: false, errorCode: failureType(err), message: (err as Error).message }, at));
        log.error('Salesforce refused the availability update', { location: input.location, shard: input.shard, errorType: failureType(err) });
      }
    }
  };

  for (;;) {
    await condition(() => stock.pendingCount > 0 || historyIsLarge());
    if (stock.pendingCount > 0) {
      await coalesceBurst(() => stock.state.events.received, settings.coalesceWindow, settings.maxCoalesceWindow);
      await writeToSalesforce();
    }
    if (historyIsLarge()) {
      // Signals that arrive before the new run starts are delivered to this one first, then carried (with any pending change).
      await condition(allHandlersFinished);
      stock.state.continuedAsNew += 1;
      await continueAsNew<typeof stockSync>({ ...input, carried: stock.state });
    }
  }
}
