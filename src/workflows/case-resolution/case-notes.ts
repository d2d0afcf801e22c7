import { workflowInfo } from '@temporalio/workflow';
import type { SalesforceActivities } from '../../activities/salesforce';
import type { CaseUpdate } from '../../domain/case';
import { idempotencyKey } from '../../domain/idempotency';
import { formatMoney } from '../../domain/money';
import { proxyWithAlert, untilSucceeded } from '../lib/persistent';
import { processStatus } from '../lib/process-status';
import type { CaseFacts } from './facts';

/**
 * The milestones written back to the Salesforce case. Each write carries a key from the workflow id
 * and the step, so a retry or a replay never adds a second comment; each is retried until it lands
 * (one alert after the policy's attempts).
 */
export function caseNotes(options: { caseId: string; caseNumber: string; salesforceQueue: string; alertAfterAttempts: number; alert: (step: string, err: unknown) => Promise<void> }) {
  const salesforce = proxyWithAlert<SalesforceActivities>(
    { taskQueue: options.salesforceQueue, startToCloseTimeout: '30 seconds', heartbeatTimeout: '10 seconds', retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } },
    options.alertAfterAttempts,
  );
  const key = (step: string) => idempotencyKey(workflowInfo().workflowId, step);
  const { caseId, alert } = options;
  // Each milestone is also published as Case_Process_Status__e, after its note landed.
  const status = processStatus({ ...options, process: 'case-resolution' });

  const update = (step: string, change: CaseUpdate) =>
    untilSucceeded(`case ${step}`, (p) => salesforce[p].updateSalesforceCase({ caseId, update: change, idempotencyKey: key(`case:${step}`) }), alert);
  const comment = (step: string, text: string) =>
    untilSucceeded(`comment ${step}`, (p) => salesforce[p].addSalesforceCaseComment({ caseId, text: `retail-orchestrator: ${text}`, idempotencyKey: key(`comment:${step}`) }), alert);

  return {
    working: async () => {
      await update('working', { status: 'Working' });
      await status('working');
    },
    decided: async (facts: CaseFacts, decision: string) => {
      await comment('decision', `${describeFacts(facts)}\nDecision: ${decision}.`);
      await status('decided', decision);
    },
    agentChose: async (text: string) => {
      await comment('agent-choice', text);
      await status('agent-chose', text);
    },
    escalateChoice: async (subject: string, description: string) => {
      await untilSucceeded(
        'escalate agent choice',
        (p) => salesforce[p].createSalesforceEscalationTask({ caseId, subject, description, priority: 'High', idempotencyKey: key('task:agent-choice') }),
        alert,
      );
      await comment('agent-choice-escalated', description);
      await status('agent-choice-escalated');
    },
    closed: async (resolution: CaseUpdate['resolution'], text: string) => {
      await comment('closed', text);
      await update('closed', { resolution, status: 'Closed' });
      await status('closed', resolution);
    },
    /** The agents take the case over: Working when it was cancelled (as the children do), Escalated when a process failed. */
    handedBack: async (step: string, text: string, caseStatus: 'Working' | 'Escalated') => {
      await comment(step, text);
      await update(step, { status: caseStatus });
      await status(step, caseStatus);
    },
  };
}

export type CaseNotes = ReturnType<typeof caseNotes>;

export function describeFacts(facts: CaseFacts): string {
  const { order, shipment, stock, settlement } = facts;
  return [
    `Facts for order ${order.orderNumber} (${facts.reason}):`,
    `order ${order.status}, placed ${order.placedAt.slice(0, 10)}, ${order.lines.length} line(s), total ${formatMoney(order.total)};`,
    `shipment ${shipment.status}${shipment.parcels.length ? ` (${shipment.parcels.map((p) => `${p.carrier} ${p.trackingNumber}: ${p.status}`).join(', ')})` : ''};`,
    `stock ${stock.status}${stock.warehouseId ? ` at ${stock.warehouseId}` : ''};`,
    `payment ${settlement.status}${settlement.refundable ? `, refundable ${formatMoney(settlement.refundable)}` : ''}.`,
  ].join(' ');
}
