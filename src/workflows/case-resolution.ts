import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  condition,
  defineQuery,
  defineUpdate,
  executeChild,
  isCancellation,
  patched,
  setHandler,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { z } from 'zod';
import { SalesforceUserIdSchema } from '../domain/case-lines';
import { formatMoney } from '../domain/money';
import { decideResolution, defaultResolutionPolicy, type ResolutionPolicy, type ResolutionPolicyInput } from '../domain/policy';
import { ChoiceRejections, validateAgentChoice, type AgentChoice, type AgentChoiceAccepted } from './case-resolution/agent-choice';
import { caseNotes, type CaseNotes } from './case-resolution/case-notes';
import { gatherFacts, type CaseFacts } from './case-resolution/facts';
import { createAlerter, type Alert } from './lib/alerts';
import { caseContextOf, caseSearchAttributes, workflowIds, type CaseContext } from './lib/case-context';
import { caseStartFields } from './lib/case-input';
import { parseInput, readCase, upsertCaseAttributes } from './lib/case-facts';
import { activeDecider, refuse } from './lib/deciders';
import { resolveQueues, type SystemQueues } from './lib/queues';
import { FEWER_ACTIONS_PATCH, stagesFilteredOn } from './lib/stage';
import { refund, type RefundResult } from './refund';
import { replacement, type ReplacementResult } from './replacement';

export type { AgentChoice, AgentChoiceAccepted } from './case-resolution/agent-choice';
export { ChoiceRejections } from './case-resolution/agent-choice';
export type { CaseFacts } from './case-resolution/facts';

/**
 * The service scenario (case-resolution/{caseNumber}): gather the facts in parallel, decide by
 * policy or ask the agent, run the refund or replacement child, and keep the Case up to date.
 */
export interface CaseResolutionInput {
  caseNumber: string;
  /** Overrides the configured policy (tests shorten its durations this way). */
  policy?: ResolutionPolicyInput;
  taskQueues?: Partial<SystemQueues>;
}

export type CaseStage = 'gathering' | 'deciding' | 'awaiting-agent' | 'refunding' | 'replacing' | 'closing' | 'closed' | 'handed-back' | 'cancelled';
export type ResolutionOutcome = 'refunded' | 'replaced' | 'rejected' | 'no-action' | 'handed-back';

export interface CaseDecision {
  kind: 'refund' | 'replacement' | 'no-action';
  decidedBy: 'policy' | 'agent';
  rule?: string;
  /** The choosing agent's Salesforce User Id, their name, and who passed the choice on. */
  agent?: string;
  agentName?: string;
  caller?: string;
  note?: string;
}

export interface ChildOutcome {
  type: 'refund' | 'replacement';
  workflowId: string;
  result?: RefundResult | ReplacementResult;
  /** The child failed: the type at the bottom of its failure chain. */
  failureType?: string;
}

export interface CaseResolutionState {
  caseNumber: string;
  stage: CaseStage;
  case?: CaseContext;
  facts?: CaseFacts;
  policyRule?: string;
  decision?: CaseDecision;
  awaitingChoiceSince?: string;
  escalated: boolean;
  child?: ChildOutcome;
  outcome?: ResolutionOutcome;
  alerts: Alert[];
}

export interface CaseResolutionSummary {
  caseNumber: string;
  outcome: ResolutionOutcome;
  decision: CaseDecision['kind'];
  decidedBy: CaseDecision['decidedBy'];
  rule?: string;
  agent?: string;
  child?: ChildOutcome;
  facts: {
    orderStatus: CaseFacts['order']['status'];
    shipmentStatus: CaseFacts['shipment']['status'];
    stock: CaseFacts['stock'];
    settlement: CaseFacts['settlement']['status'];
  };
  alerts: Alert[];
}

export const chooseResolutionUpdate = defineUpdate<AgentChoiceAccepted, [AgentChoice]>('chooseResolution');
export const caseResolutionStateQuery = defineQuery<CaseResolutionState>('getCaseResolutionState');

const CaseResolutionInputSchema = z.strictObject({ caseNumber: caseStartFields.caseNumber, policy: caseStartFields.policy, taskQueues: caseStartFields.taskQueues });

export async function caseResolution(input: CaseResolutionInput): Promise<CaseResolutionSummary> {
  parseInput(CaseResolutionInputSchema, input, 'case resolution input');
  const queues = resolveQueues(input.taskQueues);
  const state: CaseResolutionState = { caseNumber: input.caseNumber, stage: 'gathering', escalated: false, alerts: [] };
  let choice: (AgentChoice & { agentName: string }) | undefined;
  let checkingAgent = false;
  setHandler(caseResolutionStateQuery, () => state);
  setHandler(
    chooseResolutionUpdate,
    async (chosen) => {
      checkingAgent = true;
      try {
        const agent = await activeDecider(queues.salesforce, chosen.agent);
        // The wait may have ended while Salesforce answered.
        if (state.stage !== 'awaiting-agent' || choice) throw refuse(ChoiceRejections.notAwaiting, 'this case is no longer waiting for an agent\'s choice');
        choice = { ...chosen, agent: agent.userId, agentName: agent.name };
        return { accepted: true, resolution: chosen.resolution, warehouseId: chosen.resolution === 'replacement' ? state.facts?.stock.warehouseId : undefined };
      } finally {
        checkingAgent = false;
      }
    },
    { validator: (chosen) => validateAgentChoice(chosen, state.stage === 'awaiting-agent' && !choice, state.facts, checkingAgent) },
  );
  // Operators filter on cases waiting for an agent and on outcomes; the steps between show as details.
  const showStage = stagesFilteredOn(['awaiting-agent', 'closed', 'handed-back', 'cancelled'] satisfies CaseStage[]);
  const stage = (next: CaseStage, details?: string) => {
    state.stage = next;
    showStage(next, details);
  };

  stage('gathering', `case ${input.caseNumber}`);
  const alertAfterAttempts = input.policy?.alertAfterAttempts ?? defaultResolutionPolicy.alertAfterAttempts;
  const kase = await readCase(input.caseNumber, undefined, queues, alertAfterAttempts, createAlerter({ salesforceQueue: queues.salesforce, alerts: state.alerts }), 'CaseWithoutOrderError');
  // Since the patch the case's attributes are upserted once, with the order's, after the facts are gathered.
  if (!patched(FEWER_ACTIONS_PATCH)) upsertCaseAttributes({ ...kase });
  const alert = createAlerter({ caseId: kase.caseId, salesforceQueue: queues.salesforce, alerts: state.alerts });
  const notes = caseNotes({ caseId: kase.caseId, caseNumber: kase.caseNumber, salesforceQueue: queues.salesforce, alertAfterAttempts, alert });

  try {
    const [gathered] = await Promise.all([gatherFacts(kase, queues, input.policy, alert), notes.working()]);
    const { order, facts, policy } = gathered;
    const ctx = caseContextOf(kase, order);
    state.case = ctx;
    state.facts = facts;
    upsertCaseAttributes(ctx);

    stage('deciding');
    const byPolicy = decideResolution(
      { reason: facts.reason, orderPlacedAt: facts.order.placedAt, now: new Date().toISOString(), orderStatus: facts.order.status, stockAvailable: facts.stock.status === 'available' },
      policy,
    );
    state.policyRule = byPolicy.rule;
    const decision = byPolicy.kind === 'agent' ? await awaitAgent() : { kind: byPolicy.kind, decidedBy: 'policy' as const, rule: byPolicy.rule };
    state.decision = decision;
    if (decision.kind === 'no-action') {
      await notes.closed('no-action', `no agent chose a resolution within ${policy.agentChoiceTimeout} twice; closed without action.`);
      return finish('no-action');
    }
    if (decision.decidedBy === 'policy') await notes.decided(facts, `${decision.kind} by policy (rule ${decision.rule})`);

    const child = await runChild(decision.kind, ctx, facts, policy, choice);
    state.child = child;
    return await closeCase(child, notes);

    /** The policy cannot decide: wait for the agent, escalate once, then close without action. */
    async function awaitAgent(): Promise<CaseDecision> {
      stage('awaiting-agent', `policy rule ${byPolicy.rule}`);
      state.awaitingChoiceSince = new Date().toISOString();
      await notes.decided(facts, `the policy cannot decide (rule ${byPolicy.rule}); waiting for an agent to choose refund or replacement`);
      const patience = policy.agentChoiceTimeout as Duration;
      if (!(await condition(() => choice !== undefined, patience))) {
        state.escalated = true;
        await notes.escalateChoice(
          `Case ${ctx.caseNumber}: choose refund or replacement`,
          `no agent chose a resolution within ${policy.agentChoiceTimeout} (policy rule ${byPolicy.rule}); the case closes without action after another ${policy.agentChoiceTimeout}.`,
        );
        if (!(await condition(() => choice !== undefined, patience))) {
          stage('closing', 'no agent chose a resolution'); // from here on a late choice is refused
          return { kind: 'no-action', decidedBy: 'policy', rule: 'agent-choice-timeout' };
        }
      }
      const chosen = choice!;
      await notes.agentChose(`agent ${chosen.agentName} (${chosen.agent}${chosen.caller ? `, via ${chosen.caller}` : ''}) chose ${chosen.resolution}${chosen.lines ? ` for lines ${chosen.lines.map((l) => `${l.lineNumber}×${l.quantity}`).join(', ')}` : ''}${chosen.note ? `: ${chosen.note}` : ''}.`);
      return { kind: chosen.resolution, decidedBy: 'agent', rule: byPolicy.rule, agent: chosen.agent, agentName: chosen.agentName, caller: chosen.caller, note: chosen.note };
    }
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        const undone = state.child?.result?.compensated;
        stage('cancelled');
        const child = state.child ? ` (${state.child.workflowId} was cancelled${undone ? ` and undid: ${undone.join(', ') || 'nothing'}` : ' and undid its work'})` : '';
        await notes.handedBack('cancelled', `the resolution was cancelled${child}; the case is back with the agents.`, 'Working');
      });
    }
    throw err;
  }

  function finish(outcome: ResolutionOutcome): CaseResolutionSummary {
    state.outcome = outcome;
    stage(outcome === 'handed-back' ? 'handed-back' : 'closed', outcome);
    const facts = state.facts!;
    const decision = state.decision!;
    return {
      caseNumber: input.caseNumber,
      outcome,
      decision: decision.kind,
      decidedBy: decision.decidedBy,
      rule: decision.rule,
      agent: decision.agent,
      child: state.child,
      facts: { orderStatus: facts.order.status, shipmentStatus: facts.shipment.status, stock: facts.stock, settlement: facts.settlement.status },
      alerts: state.alerts,
    };
  }

  /** Runs the chosen process as a child; a cancelled case cancels it, and waits for its undo. */
  async function runChild(kind: 'refund' | 'replacement', ctx: CaseContext, facts: CaseFacts, policy: ResolutionPolicy, chosen: AgentChoice | undefined): Promise<ChildOutcome> {
    // The agent who chose, when the choice names a Salesforce user (the child checks approvals against it).
    const requestedBy = chosen && SalesforceUserIdSchema.safeParse(chosen.agent).success ? chosen.agent : undefined;
    const workflowId = kind === 'refund' ? workflowIds.refund(ctx.caseNumber) : workflowIds.replacement(ctx.caseNumber);
    state.child = { type: kind, workflowId };
    const common = {
      workflowId,
      typedSearchAttributes: caseSearchAttributes(ctx, 'starting'),
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    };
    const taskQueues = queues;
    try {
      if (kind === 'refund') {
        // Returned goods go back to the warehouse that shipped them.
        const returnsTo = facts.shipment.parcels[0]?.warehouseId ?? facts.stock.warehouseId;
        stage('refunding', workflowId);
        const result = await executeChild(refund, {
          ...common,
          staticSummary: `Refund for case ${ctx.caseNumber} (order ${ctx.orderNumber})`,
          args: [{ caseNumber: ctx.caseNumber, caseId: ctx.caseId, lines: chosen?.lines, requestedBy, facts: { case: ctx, reason: facts.reason, policy, warehouseId: returnsTo }, taskQueues }],
        });
        return { type: kind, workflowId, result };
      }
      const warehouseId = facts.stock.warehouseId ?? facts.shipment.parcels[0]?.warehouseId;
      if (!warehouseId) throw ApplicationFailure.create({ type: 'NoWarehouseError', message: 'no warehouse to ship a replacement from', nonRetryable: true });
      stage('replacing', workflowId);
      const result = await executeChild(replacement, {
        ...common,
        staticSummary: `Replacement for case ${ctx.caseNumber} (order ${ctx.orderNumber}) from ${warehouseId}`,
        args: [{ caseNumber: ctx.caseNumber, caseId: ctx.caseId, lines: chosen?.lines, requestedBy, facts: { case: ctx, reason: facts.reason, policy, warehouseId }, taskQueues }],
      });
      return { type: kind, workflowId, result };
    } catch (err) {
      if (isCancellation(err)) throw err;
      return { type: kind, workflowId, failureType: failureTypeOf(err) };
    }
  }

  /** Writes the outcome to the Case: closed with its resolution, or handed back to the agents. */
  async function closeCase(child: ChildOutcome, notes: CaseNotes): Promise<CaseResolutionSummary> {
    stage('closing');
    const result = child.result;
    if (!result) {
      await notes.handedBack('child-failed', `${child.workflowId} failed (${child.failureType ?? 'error'}); the case is back with the agents.`, 'Escalated');
      return finish('handed-back');
    }
    if (result.status === 'refunded') {
      const refunded = result as RefundResult;
      const refs = [refunded.refundId && `refund ${refunded.refundId}`, refunded.creditMemoId && `credit memo ${refunded.creditMemoId}`].filter(Boolean).join(', ');
      await notes.closed('refund', `refunded ${formatMoney(refunded.amount)}${refs ? ` (${refs})` : ''}.`);
      return finish('refunded');
    }
    if (result.status === 'delivered') {
      const replaced = result as ReplacementResult;
      await notes.closed('replacement', `replacement ${replaced.replacementOrderNumber ?? ''} delivered${replaced.trackingNumber ? ` (tracking ${replaced.trackingNumber})` : ''}.`);
      return finish('replaced');
    }
    if (result.status === 'rejected') {
      await notes.closed('no-action', 'the refund was rejected by the approver; closed without action.');
      return finish('rejected');
    }
    // The child came back "cancelled" because this case was cancelled: end as cancelled too.
    if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('case resolution cancelled');
    await notes.handedBack('child-cancelled', `${child.workflowId} was cancelled and undid: ${result.compensated.join(', ') || 'nothing'}; the case is back with the agents.`, 'Working');
    return finish('handed-back');
  }
}

/** The named type at the bottom of a child's failure chain (child → activity → application failure). */
function failureTypeOf(err: unknown): string | undefined {
  let current: unknown = err;
  while (current instanceof Error && 'cause' in current && current.cause instanceof Error && !(current instanceof ApplicationFailure)) current = current.cause;
  if (current instanceof ApplicationFailure) return current.type ?? undefined;
  return current instanceof Error ? current.name : undefined;
}
