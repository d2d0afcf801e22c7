import { seededUserId, type SalesforceState } from '../../sandbox/systems/salesforce/state';
import { approveRefundUpdate, refundStateQuery, type refund } from '../../src/workflows/refund';
import type { Recording } from './recording';

/**
 * A refund with every kind of step: return authorization, a supervisor's approval through the update
 * (the policy makes every refund need one), credit memo, the payment refund, and the retriable tail.
 */
export const recorder = (): Recording => {
  const workflowId = 'refund/recorded';
  return {
    workflowId,
    run: async (client, config, sandbox) => {
      const world = sandbox.world();
      const returnable = (sku: string) => world.products.find((p) => p.sku === sku)!.returnable;
      const kase = world.cases.find((c) => {
        const order = world.orders.find((o) => o.orderNumber === c.orderNumber)!;
        return order.lines.every((l) => returnable(l.sku)) && world.payments.find((p) => p.paymentId === order.paymentId)!.method === 'card';
      })!;
      const order = world.orders.find((o) => o.orderNumber === kase.orderNumber)!;
      const sf = sandbox.systems.salesforce!.ctx.store.data as SalesforceState;
      const caseId = Object.values(sf.records.Case).find((r) => r.CaseNumber === kase.caseNumber)!.Id as string;
      const { salesforce, erp, warehouse, payments } = config.taskQueues;

      const handle = await client.workflow.start<typeof refund>('refund', {
        taskQueue: config.taskQueues.orchestration,
        workflowId,
        args: [
          {
            caseNumber: kase.caseNumber,
            caseId,
            lines: [{ lineNumber: order.lines[0].lineNumber, quantity: 1 }],
            // Every reason brings the goods back, so the history records a return authorization too.
            policy: { approvalThreshold: { default: 0 }, autoApproveUpTo: {}, returnRequiredFor: ['delayed-shipment', 'not-received', 'damaged-item', 'wrong-item', 'other'] },
            taskQueues: { salesforce, erp, warehouse, payments },
          },
        ],
      });
      for (;;) {
        const state = await handle.query(refundStateQuery).catch(() => undefined);
        if (state?.stage === 'awaiting-approval') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // A seeded supervisor whose limit covers the order in its currency.
      const supervisor = { USD: 'sam.supervisor@retail.example', EUR: 'eva.supervisor@retail.example', GBP: 'uma.supervisor@retail.example' }[order.currency]!;
      const approver = seededUserId(world, supervisor);
      await handle.executeUpdate(approveRefundUpdate, { args: [{ decision: 'approve', approver, note: 'recorded for the replay test', caller: 'recorder' }] });
      await handle.result();
    },
  };
};
