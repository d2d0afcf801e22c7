import { allHandlersFinished, condition, continueAsNew, defineQuery, defineSignal, isCancellation, log, patched, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import type { OrderEvent } from '../domain/order-event';
import { createAlerter, type Alert } from './lib/alerts';
import { coalesceBurst } from './lib/coalesce';
import { parseInput } from './lib/case-facts';
import { failureType, untilSucceeded } from './lib/persistent';
import { resolveQueues, type SystemQueues } from './lib/queues';
import { enterStage } from './lib/stage';
import { orderSyncActivities } from './order-sync/activities';
import { OrderFold, type OrderSyncState } from './order-sync/order-state';
import { resolveSettings, type OrderSyncSettingsInput } from './order-sync/settings';

/**
 * orderSync (order/{orderNumber}): the order's entity workflow. Events from the ERP, the warehouse,
 * carriers and payments arrive by signal (signalWithStart from POST /v1/events/{source}); duplicates
 * and stale ones are dropped, the rest folded into the order's state; a burst of changes becomes one
 * Salesforce upsert (by Order_Number__c) per coalescing window. The run continues-as-new, carrying
 * its state, before its history grows large, and closes once the order is complete (delivered or
 * cancelled) and quiet for a grace period.
 */

export type { OrderSyncState } from './order-sync/order-state';
export type { OrderSyncSettings, OrderSyncSettingsInput } from './order-sync/settings';

export interface OrderSyncInput {
  orderNumber: string;
  /** The previous run's state (continue-as-new). */
  carried?: OrderSyncState;
  settings?: OrderSyncSettingsInput;
  taskQueues?: Partial<SystemQueues>;
}

export type OrderSyncResult = OrderSyncState;

export const orderSyncWorkflowId = (orderNumber: string) => `order/${orderNumber}`;

/** One or more events for this order (in the order they were sent); each is deduplicated by source and eventId. */
export const orderEventSignal = defineSignal<OrderEvent[]>('orderEvent');
export const orderSyncStateQuery = defineQuery<OrderSyncState & { complete: boolean; alerts: Alert[] }>('getOrderSyncState');

// The carried state is this workflow's own (continue-as-new); the rest is checked before it is used.
const OrderSyncInputSchema = z.object({
  orderNumber: z.string().min(1).max(80),
  carried: z.object({}).loose().optional(),
  settings: z.object({}).loose().optional(),
  taskQueues: z.record(z.string(), z.string().min(1)).optional(),
});

export async function orderSync(input: OrderSyncInput): Promise<OrderSyncResult> {
  parseInput(OrderSyncInputSchema, input, 'order sync input');
  const settings = resolveSettings(input.settings);
  const queues = resolveQueues(input.taskQueues);
  const systems = orderSyncActivities(queues);
  const alerts: Alert[] = [];
  const alert = createAlerter({ salesforceQueue: queues.salesforce, alerts });
  const order = new OrderFold(input.orderNumber, input.carried, settings.dedupMemory);

  setHandler(orderEventSignal, (...events) => events.forEach((e) => order.receive(e)));
  setHandler(orderSyncStateQuery, () => ({ ...order.state, complete: order.complete, alerts: [...alerts] }));

  let stage = '';
  const showStage = () => {
    const now = order.complete ? `complete:${order.state.status ?? 'delivered'}` : (order.state.status ?? 'awaiting-status');
    if (now !== stage) enterStage((stage = now), `v${order.state.version}`);
  };
  const historyIsLarge = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= settings.maxHistoryEvents;

  /** The ERP's current view once per order (carried), so a late, stale event never rolls Salesforce back. */
  const readErpBaseline = async () => {
    try {
      order.applyErpOrder(await systems.erp.getOrder.executeWithOptions({ summary: `ERP: read order ${input.orderNumber}` }, [input.orderNumber]));
    } catch (err) {
      if (isCancellation(err)) throw err;
      if (failureType(err) === 'NotFoundError') order.state.erpChecked = true;
      log.warn('could not read the order from the ERP; syncing from events alone', { orderNumber: input.orderNumber, errorType: failureType(err) });
    }
  };

  /** One upsert with everything that changed since the last one (or none when Salesforce already shows it). */
  const writeToSalesforce = async () => {
    order.state.pendingChange = false;
    if (!order.state.erpChecked) await readErpBaseline();
    const update = order.projection();
    if (!update || order.upToDate(update)) return;
    const version = order.state.version;
    try {
      await untilSucceeded(`salesforce-order:${input.orderNumber}`, (p) =>
        systems.salesforce[p].upsertSalesforceOrderStatus.executeWithOptions({ summary: `Salesforce: Order ${input.orderNumber} → ${update.status}${update.shipmentStatus ? `/${update.shipmentStatus}` : ''} (v${version})` }, [update]),
      alert);
      order.state.salesforce.writes += 1;
      order.state.salesforce.written = { ...update, version, at: new Date().toISOString() };
    } catch (err) {
      if (isCancellation(err)) throw err;
      // Salesforce refused this update: nothing to retry; the next event tries again with fresh state.
      order.state.salesforce.lastError = { errorType: failureType(err), message: (err as Error).message, at: new Date().toISOString() };
      log.error('Salesforce refused the order update', { orderNumber: input.orderNumber, errorType: failureType(err) });
    }
  };

  /** Each new carrier exception or late delivery as a Case (or a Task on the order's open Case) in Salesforce. */
  const raiseProactive = async () => {
    for (const finding of order.takeProactive()) {
      try {
        const result = await untilSucceeded(`salesforce-proactive:${finding.key}`, (p) =>
          systems.salesforce[p].openSalesforceProactiveCase.executeWithOptions({ summary: `Salesforce: ${finding.kind} on order ${input.orderNumber}` }, [finding]),
        alert);
        order.recordProactive(finding.key, result, new Date().toISOString());
      } catch (err) {
        if (isCancellation(err)) throw err;
        // Salesforce refused it: recorded and logged for operators; the order's sync goes on.
        order.state.proactive.lastError = { key: finding.key, errorType: failureType(err), message: (err as Error).message, at: new Date().toISOString() };
        log.error('Salesforce refused the proactive case', { orderNumber: input.orderNumber, key: finding.key, errorType: failureType(err) });
      }
    }
  };

  /** Waits for a change; with a delivery promise outstanding, no longer than the promise (its passing is a finding). */
  const untilChanged = async () => {
    const changed = () => order.state.pendingChange || historyIsLarge();
    const lateIn = order.lateIn(Date.now());
    if (lateIn !== undefined && patched('proactive-late-timer')) {
      if (!(await condition(changed, Math.max(lateIn, 1)))) order.promisePassed(new Date().toISOString());
    } else await condition(changed);
    return true;
  };

  for (;;) {
    showStage();
    const woken = order.complete ? await condition(() => order.state.pendingChange || historyIsLarge(), settings.closeAfterCompleteGrace) : await untilChanged();
    if (!woken) break; // complete, and quiet for the grace period

    if (order.state.pendingChange) {
      // Runs that started before the adaptive window keep the fixed one (docs/upgrades.md).
      if (patched('adaptive-coalescing-window')) await coalesceBurst(() => order.state.events.received, settings.coalesceWindow, settings.maxCoalesceWindow);
      else await sleep(settings.coalesceWindow);
      await writeToSalesforce();
      if (order.state.proactive.pending.length) {
        // Runs replaying from before proactive service raise nothing where their history has no such step.
        if (patched('proactive-service-cases')) await raiseProactive();
        else order.takeProactive();
      }
    }

    if (historyIsLarge()) {
      // Signals that arrive before the new run starts are delivered to this one first, then carried (with any pending change).
      await condition(allHandlersFinished);
      order.state.continuedAsNew += 1;
      await continueAsNew<typeof orderSync>({ ...input, carried: order.state });
    }
  }

  enterStage('closed', `${order.state.status ?? 'unknown'}, v${order.state.version}`);
  return order.state;
}
