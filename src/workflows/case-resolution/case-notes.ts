import { patched, workflowInfo } from '@temporalio/workflow';
import type { SalesforceActivities } from '../../activities/salesforce';
import type { CaseUpdate } from '../../domain/case';
import { idempotencyKey } from '../../domain/idempotency';
import { formatMoney } from '../../domain/money';
import { proxyWithAlert, untilSucceeded } from '../lib/persistent';
import { caseMilestones, processStatus } from '../lib/process-status';
import { FEWER_ACTIONS_PATCH } from '../lib/stage';
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
  const milestone = caseMilestones({ ...options, process: 'case-resolution' });
  // Since the patch a milestone is one activity; runs started before keep their separate calls on replay.
  const together = () => patched(FEWER_ACTIONS_PATCH);
  const noteOf = (step: string, text: string) => ({ text: `retail-orchestrator: ${text}`, idempotencyKey: key(`comment:${step}`) });
  const changeOf = (step: string, change: CaseUpdate) => ({ change, idempotencyKey: key(`case:${step}`) });

  const update = (step: string, change: CaseUpdate) =>
    untilSucceeded(`case ${step}`, (p) => salesforce[p].updateSalesforceCase({ caseId, update: change, idempotencyKey: key(`case:${step}`) }), alert);
  const comment = (step: string, text: string) =>
    untilSucceeded(`comment ${step}`, (p) => salesforce[p].addSalesforceCaseComment({ caseId, text: `retail-orchestrator: ${text}`, idempotencyKey: key(`comment:${step}`) }), alert);

  return {
    working: async () => {
      if (together()) return milestone({ step: 'case working', update: changeOf('working', { status: 'Working' }), stage: 'working' });
      await update('working', { status: 'Working' });
      await status('working');
    },
    decided: async (facts: CaseFacts, decision: string) => {
      if (together()) return milestone({ step: 'comment decision', comment: noteOf('decision', `${describeFacts(facts)}\nDecision: ${decision}.`), stage: 'decided', outcome: decision });
      await comment('decision', `${describeFacts(facts)}\nDecision: ${decision}.`);
      await status('decided', decision);
    },
    agentChose: async (text: string) => {
      if (together()) return milestone({ step: 'comment agent-choice', comment: noteOf('agent-choice', text), stage: 'agent-chose', outcome: text });
      await comment('agent-choice', text);
      await status('agent-chose', text);
    },
    escalateChoice: async (subject: string, description: string) => {
      await untilSucceeded(
        'escalate agent choice',
        (p) => salesforce[p].createSalesforceEscalationTask({ caseId, subject, description, priority: 'High', idempotencyKey: key('task:agent-choice') }),
        alert,
      );
      if (together()) return milestone({ step: 'comment agent-choice-escalated', comment: noteOf('agent-choice-escalated', description), stage: 'agent-choice-escalated' });
      await comment('agent-choice-escalated', description);
      await status('agent-choice-escalated');
    },
    closed: async (resolution: CaseUpdate['resolution'], text: string) => {
      if (together()) return milestone({ step: 'comment closed', comment: noteOf('closed', text), update: changeOf('closed', { resolution, status: 'Closed' }), stage: 'closed', outcome: resolution });
      await comment('closed', text);
      await update('closed', { resolution, status: 'Closed' });
      await status('closed', resolution);
    },
    /** The agents take the case over: Working when it was cancelled (as the children do), Escalated when a process failed. */
    handedBack: async (step: string, text: string, caseStatus: 'Working' | 'Escalated') => {
      if (together()) return milestone({ step: `comment ${step}`, comment: noteOf(step, text), update: changeOf(step, { status: caseStatus }), stage: step, outcome: caseStatus });
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
