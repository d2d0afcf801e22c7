import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ErpActivities } from '../../activities/erp';
import type { PaymentsActivities } from '../../activities/payments';
import type { SalesforceActivities } from '../../activities/salesforce';
import type { WarehouseActivities } from '../../activities/warehouse';
import { checkReplacementLines, warehouseHolding } from '../../domain/case-lines';
import { idempotencyKey } from '../../domain/idempotency';
import { createAlerter } from '../lib/alerts';
import { caseFactsOf, invalidInput, readOrder } from '../lib/case-facts';
import { proxyWithAlert, untilSucceeded } from '../lib/persistent';
import { resolveQueues } from '../lib/queues';
import type { ReplacementInput, ReplacementPlan } from '../replacement';

const readOptions = { startToCloseTimeout: '30 seconds', heartbeatTimeout: '10 seconds', retry: { initialInterval: '1 second', maximumInterval: '20 seconds' } } as const;

/**
 * The replacement's facts and lines: the case from Salesforce (or the parent), the order from the ERP,
 * each line checked against what remains of it, and a warehouse holding every line. A refused line
 * fails the process with a ValidationError and a note on the Case.
 */
export async function planReplacement(input: ReplacementInput): Promise<ReplacementPlan> {
  const queues = resolveQueues(input.taskQueues);
  const alert = createAlerter({ salesforceQueue: queues.salesforce, alerts: [] });
  const read = await caseFactsOf(input, queues, alert);
  const { case: kase, reason, policy } = read.facts;
  try {
    const order = read.order ?? (await readOrder(kase.orderNumber, queues, policy.alertAfterAttempts, alert));
    // Lines already refunded (the payment provider's record, whichever ERP holds the credit memo) are not shipped again.
    const payments = proxyWithAlert<PaymentsActivities>({ ...readOptions, taskQueue: queues.payments }, policy.alertAfterAttempts);
    const paymentId = order.paymentId;
    const payment = paymentId ? await untilSucceeded('read payment', (p) => payments[p].getPayment(paymentId), alert) : undefined;
    const checked = checkReplacementLines(order, input.lines, policy.replacementSubstitutes, payment?.refundedLines);
    if (!checked.ok) throw invalidInput(checked.refusal.message, checked.refusal);
    const lines = checked.value;
    let warehouseId = read.facts.warehouseId;
    if (!warehouseId) {
      const erp = proxyWithAlert<ErpActivities>({ ...readOptions, taskQueue: queues.erp }, policy.alertAfterAttempts);
      // The warehouses that shipped the order come first, as the case resolution picks them.
      const warehouse = proxyActivities<WarehouseActivities>({ taskQueue: queues.warehouse, startToCloseTimeout: '15 seconds', retry: { maximumAttempts: 3, maximumInterval: '5 seconds' } });
      const [stock, shipped] = await Promise.all([
        untilSucceeded('read stock', (p) => erp[p].getStockAvailability([...new Set(lines.map((l) => l.sku))]), alert),
        warehouse.getShipmentsForOrder(order.orderNumber).catch(() => []),
      ]);
      warehouseId = warehouseHolding(lines, stock, shipped.map((s) => s.warehouseId));
    }
    if (!warehouseId) throw ApplicationFailure.create({ type: 'NoWarehouseError', message: 'no warehouse holds every line of the replacement', nonRetryable: true });
    return { case: kase, reason, lines, warehouseId, returnRequired: policy.returnRequiredFor.includes(reason), policy, queues, requestedBy: input.requestedBy };
  } catch (err) {
    if (err instanceof ApplicationFailure) await noteRefusal(kase.caseId, queues.salesforce, `Replacement refused: ${err.message}.`);
    throw err;
  }
}

/** A few tries to tell the agents on the Case why nothing was started; the failure itself is the record. */
async function noteRefusal(caseId: string, salesforceQueue: string, text: string): Promise<void> {
  const salesforce = proxyActivities<SalesforceActivities>({ taskQueue: salesforceQueue, startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3 } });
  await salesforce.addSalesforceCaseComment({ caseId, text, idempotencyKey: idempotencyKey(workflowInfo().workflowId, 'comment:refused') }).catch(() => undefined);
}
