import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Sandbox } from '../../sandbox';
import { seededUserId, type SalesforceState } from '../../sandbox/systems/salesforce/state';
import type { Config } from '../../src/config';
import type { ResolutionPolicyInput } from '../../src/domain/policy';
import { approveRefundUpdate, refundApprovalSignal, refundStateQuery, type refund, type RefundStage } from '../../src/workflows/refund';
import { admin } from '../../test/helpers/sandbox';
import type { Recording } from './recording';

const everyReasonReturns: ResolutionPolicyInput = { returnRequiredFor: ['delayed-shipment', 'not-received', 'damaged-item', 'wrong-item', 'other'] };
const everyRefundNeedsApproval: ResolutionPolicyInput = { approvalThreshold: { default: 0 }, autoApproveUpTo: {} };
const noApproval: ResolutionPolicyInput = { approvalThreshold: { default: 100_000_000 } };

/** Starts refund/recorded… for the first seeded case whose goods can come back and whose payment is a card. */
async function startRefund(client: Client, config: Config, sandbox: Sandbox, workflowId: string, policy: ResolutionPolicyInput) {
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
    args: [{ caseNumber: kase.caseNumber, caseId, lines: [{ lineNumber: order.lines[0].lineNumber, quantity: 1 }], policy: { ...everyReasonReturns, ...policy }, taskQueues: { salesforce, erp, warehouse, payments } }],
  });
  // A seeded supervisor whose limit covers the order in its currency.
  const supervisor = seededUserId(world, { USD: 'sam.supervisor@retail.example', EUR: 'eva.supervisor@retail.example', GBP: 'uma.supervisor@retail.example' }[order.currency]!);
  return { handle, supervisor };
}

async function untilStage(handle: WorkflowHandle<typeof refund>, stages: RefundStage[]): Promise<void> {
  for (;;) {
    const state = await handle.query(refundStateQuery).catch(() => undefined);
    if (state && stages.includes(state.stage)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const path =
  (workflowId: string, drive: (client: Client, config: Config, sandbox: Sandbox) => Promise<void>) =>
  (): Recording => ({ workflowId, run: drive });

/**
 * A refund with every kind of step: return authorization, a supervisor's approval through the update
 * (the policy makes every refund need one), credit memo, the payment refund, and the retriable tail.
 */
export const recorder = path('refund/recorded', async (client, config, sandbox) => {
  const { handle, supervisor } = await startRefund(client, config, sandbox, 'refund/recorded', everyRefundNeedsApproval);
  await untilStage(handle, ['awaiting-approval']);
  await handle.executeUpdate(approveRefundUpdate, { args: [{ decision: 'approve', approver: supervisor, note: 'recorded for the replay test', caller: 'recorder' }] });
  await handle.result();
});

export const paths: Record<string, () => Recording> = {
  /** The supervisor rejects by signal: the return authorization is undone, the Case noted. */
  rejected: path('refund/recorded-rejected', async (client, config, sandbox) => {
    const { handle, supervisor } = await startRefund(client, config, sandbox, 'refund/recorded-rejected', everyRefundNeedsApproval);
    await untilStage(handle, ['awaiting-approval']);
    await handle.signal(refundApprovalSignal, { decision: 'reject', approver: supervisor, note: 'outside policy' });
    await handle.result();
  }),
  /** Nobody decides: escalation Task and Case escalated, then the policy's default after the second timeout. */
  'approval-timeout': path('refund/recorded-approval-timeout', async (client, config, sandbox) => {
    const { handle } = await startRefund(client, config, sandbox, 'refund/recorded-approval-timeout', { ...everyRefundNeedsApproval, approvalTimeout: '1 second', escalationTimeout: '1 second', defaultOnApprovalTimeout: 'approve' });
    await handle.result();
  }),
  /** Cancelled while it waits for approval (before the pivot): every step undone in reverse. */
  'cancelled-before-pivot': path('refund/recorded-cancelled', async (client, config, sandbox) => {
    const { handle } = await startRefund(client, config, sandbox, 'refund/recorded-cancelled', everyRefundNeedsApproval);
    await untilStage(handle, ['awaiting-approval']);
    await handle.cancel();
    await handle.result();
  }),
  /** Cancelled after the payment was refunded: recorded, and the retriable tail completes. */
  'cancelled-after-pivot': path('refund/recorded-cancelled-after-pivot', async (client, config, sandbox) => {
    // Slow ERP answers keep the refund in its tail long enough to be cancelled there.
    await admin(sandbox.urls.erpLegacy!).fault({ kind: 'latency', latencyMs: 1500 });
    const { handle } = await startRefund(client, config, sandbox, 'refund/recorded-cancelled-after-pivot', noApproval);
    await untilStage(handle, ['posting-credit-memo', 'recording-adjustment', 'updating-case']);
    await handle.cancel();
    await handle.result();
  }),
  /** The payment provider is down at the pivot: one alert after the bounded attempts, then retried until it answers. */
  'payment-outage-alert': path('refund/recorded-payment-outage', async (client, config, sandbox) => {
    await admin(sandbox.urls.payments!).fault({ kind: 'outage', method: 'POST', path: '/v1/refunds', durationMs: 6_000 });
    const { handle } = await startRefund(client, config, sandbox, 'refund/recorded-payment-outage', { ...noApproval, alertAfterAttempts: 2 });
    await handle.result();
  }),
};
