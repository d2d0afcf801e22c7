import { CancellationScope, isCancellation, log, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { AdjustmentInput } from '../domain/adjustment';
import type { CaseUpdate } from '../domain/case';
import type { DraftCreditMemoRequest } from '../domain/credit-memo';
import { idempotencyKey } from '../domain/idempotency';
import { refundedLinesMetadata } from '../domain/case-lines';
import { formatMoney, money } from '../domain/money';
import { refundNeedsApproval } from '../domain/policy';
import { createAlerter } from './lib/alerts';
import { noteApprovalWait } from './lib/business-signals';
import { caseFactsOf, invalidInput, parseInput } from './lib/case-facts';
import { failureType, untilSucceeded } from './lib/persistent';
import { caseMilestones, processStatus } from './lib/process-status';
import { resolveQueues } from './lib/queues';
import { Saga } from './lib/saga';
import { FEWER_ACTIONS_PATCH, stagesFilteredOn } from './lib/stage';
import { refundLinesOf } from './refund/amount';
import { ApprovalDesk } from './refund/approval';
import { RefundInputSchema, refundStateQuery, type RefundApprovalOutcome, type RefundInput, type RefundResult, type RefundStage, type RefundState, type RefundStatus } from './refund/definitions';
import { refundSystems, run, type ProxyKind } from './refund/systems';
import { isRejection, undoableSteps } from './refund/undoable';

export * from './refund/definitions';
export { DeciderRejections } from './lib/deciders';

/** The audit line for a supervisor's decision: the Salesforce user and the caller that passed it on. */
const decider = (a: RefundApprovalOutcome) => `${a.approverName ?? a.approver} (${a.approver}${a.caller ? `, via ${a.caller}` : ''})`;

/**
 * refund/{caseNumber}: gives a customer their money back for a case, as a saga.
 *   compensatable: read the order → return authorization (goods come back) → approval above the
 *                  threshold (escalates, then the policy's default) → draft ERP credit memo
 *   pivot:         payment refund (one per idempotency key, whatever retries or crashes happen)
 *   retriable:     post the credit memo → Customer_Adjustment__c in Salesforce → the Case
 * A failure or a cancel before the pivot undoes what was done (newest first) and notes it on the Case;
 * a rejected approval ends with status 'rejected', a cancel with status 'cancelled' (the execution
 * completes: the result says what was undone), a failure fails the workflow with its type. After the
 * pivot nothing is undone: the remaining steps retry until they succeed, alerting meanwhile, and a
 * cancel is recorded but does not stop them.
 */
export async function refund(input: RefundInput): Promise<RefundResult> {
  const { workflowId } = workflowInfo();
  const key = (step: string) => idempotencyKey(workflowId, step);
  const request = parseInput(RefundInputSchema, input, 'refund input');
  const queues = resolveQueues(request.taskQueues);
  const state: RefundState = { stage: 'preparing', compensationsPending: [], compensated: [], cancelRequested: false, alerts: [] };
  setHandler(refundStateQuery, () => ({ ...state, compensationsPending: [] }));
  // Who the refund is for and the rules it follows come from the systems (or the parent that read them).
  const read = await caseFactsOf(input, queues, createAlerter({ salesforceQueue: queues.salesforce, alerts: state.alerts }));
  const { case: kase, reason, policy } = read.facts;
  const returnRequired = policy.returnRequiredFor.includes(reason);
  const warehouseId = read.facts.warehouseId;
  const { erp, payments, salesforce } = refundSystems(queues, policy.alertAfterAttempts, policy.retryMaximumInterval);

  const alert = createAlerter({ caseId: kase.caseId, salesforceQueue: queues.salesforce, alerts: state.alerts });
  const status = processStatus({ caseNumber: kase.caseNumber, process: 'refund', salesforceQueue: queues.salesforce, alertAfterAttempts: policy.alertAfterAttempts, alert });
  const milestone = caseMilestones({ caseId: kase.caseId, caseNumber: kase.caseNumber, process: 'refund', salesforceQueue: queues.salesforce, alertAfterAttempts: policy.alertAfterAttempts, alert });
  const saga = new Saga({ onStuck: (step, err) => alert(`undo ${step}`, err), retryPause: '10 seconds' });
  const undoable = undoableSteps(saga, alert);
  const desk = new ApprovalDesk({ amount: () => state.amount, salesforceQueue: queues.salesforce, requestedBy: input.requestedBy });
  let approval: RefundApprovalOutcome | undefined;
  setHandler(refundStateQuery, () => ({
    ...state,
    compensationsPending: saga.pending,
    approval: approval && { ...approval, awaiting: desk.awaiting, escalated: desk.escalated, refused: desk.refused },
  }));
  CancellationScope.current().cancelRequested.catch(() => {
    state.cancelRequested = true;
  });

  // Operators filter on refunds waiting for a supervisor, undoing, and on outcomes; the steps between show as details.
  const showStage = stagesFilteredOn(['awaiting-approval', 'approval-escalated', 'compensating', 'refunded', 'rejected', 'cancelled', 'failed'] satisfies RefundStage[]);
  const stage = (next: RefundStage, details?: string) => {
    state.stage = next;
    showStage(next, details);
  };
  /** A step that must not stop the refund: retried until it succeeds (alerting meanwhile); a rejection is alerted and skipped. */
  const mustTry = async <T>(step: string, call: (proxy: ProxyKind) => Promise<T>): Promise<T | undefined> => {
    try {
      return await untilSucceeded(step, call, alert);
    } catch (err) {
      if (!isRejection(err)) throw err;
      await alert(step, err);
      return undefined;
    }
  };
  /** A note on the Case with its status event, and the Case's new values when given; before the patch, separate calls in the order they always had. */
  const noteOnCase = async (step: string, text: string, update?: { step: string; summary: string; change: CaseUpdate; before?: boolean }) => {
    const summary = `Note on case ${kase.caseNumber}: ${step.replace('comment:', '')}`;
    if (patched(FEWER_ACTIONS_PATCH)) {
      try {
        await milestone({ step, summary: update ? `${summary}; ${update.summary}` : summary, comment: { text, idempotencyKey: key(step) }, update: update && { change: update.change, idempotencyKey: key(update.step) }, stage: step.replace('comment:', '') });
      } catch (err) {
        if (!isRejection(err)) throw err;
        await alert(step, err);
      }
      return;
    }
    const updateCase = async () => {
      if (update) await mustTry(update.step, (p) => run(update.summary, salesforce[p].updateSalesforceCase, { caseId: kase.caseId, update: update.change, idempotencyKey: key(update.step) }));
    };
    if (update?.before) await updateCase();
    await mustTry(step, (p) => run(summary, salesforce[p].addSalesforceCaseComment, { caseId: kase.caseId, text, idempotencyKey: key(step) }));
    await status(step.replace('comment:', ''));
    if (!update?.before) await updateCase();
  };
  const result = (status: RefundStatus): RefundResult => ({
    status,
    amount: state.amount ?? money(0, 'XXX'),
    refundId: state.refundId,
    creditMemoId: state.creditMemoId,
    returnAuthorizationId: state.returnAuthorizationId,
    adjustmentId: state.adjustmentId,
    approval,
    compensated: state.compensated,
    alerts: state.alerts,
    ...(status === 'refunded' && state.cancelRequested ? { cancelRequestedAfterPivot: true } : {}),
  });

  /** Before the pivot: undoes what was done, notes it on the Case, and ends cancelled, rejected or failed. */
  const undoAndEnd = (reason: unknown, rejectedBy?: string): Promise<RefundResult> =>
    CancellationScope.nonCancellable(async () => {
      const cancelled = isCancellation(reason);
      desk.close();
      stage('compensating', saga.pending.join(', ') || 'nothing to undo');
      state.compensated = await saga.compensate();
      const undone = state.compensated.length ? `undone: ${state.compensated.join(', ')}` : 'nothing needed undoing';
      if (rejectedBy) {
        await noteOnCase('comment:rejected', `Refund of ${formatMoney(state.amount!)} rejected by ${rejectedBy}; ${undone}.`);
        stage('rejected', rejectedBy);
        return result('rejected');
      }
      if (cancelled) {
        await noteOnCase('comment:cancelled', `Refund cancelled before the payment was refunded; ${undone}. The case is back with the agent.`, { step: 'case-cancelled', summary: 'Hand the case back to the agent', change: { status: 'Working' } });
        stage('cancelled');
        return result('cancelled');
      }
      await noteOnCase('comment:failed', `Refund failed (${failureType(reason) ?? 'error'}); no money was refunded; ${undone}.`);
      stage('failed', failureType(reason));
      throw reason;
    });

  let prepared: Awaited<ReturnType<typeof beforeThePivot>>;
  try {
    prepared = await beforeThePivot();
  } catch (err) {
    return undoAndEnd(err);
  }
  if (prepared.rejectedBy !== undefined) return undoAndEnd(undefined, prepared.rejectedBy);
  return afterThePivot(prepared);

  async function beforeThePivot() {
    stage('preparing', `case ${kase.caseNumber}, order ${kase.orderNumber}`);
    const order = read.order ?? (await untilSucceeded('get-order', (p) => run(`Read order ${kase.orderNumber}`, erp[p].getOrder, kase.orderNumber), alert));
    const paymentId = order.paymentId;
    if (!paymentId) throw invalidInput(`order ${order.orderNumber} has no payment to refund`);
    // The payment provider bounds what can still be refunded, whatever the ERP's lines say.
    const payment = await untilSucceeded('get-payment', (p) => run(`Read payment ${paymentId}`, payments[p].getPayment, paymentId), alert);
    const { lines, amount } = refundLinesOf(order, request.lines, payment);
    Object.assign(state, { amount, lines, paymentId });
    await noteOnCase('comment:started', `Refund of ${formatMoney(amount)} started for order ${order.orderNumber} (lines ${lines.map((l) => `${l.lineNumber}: ${l.quantity} × ${l.sku}`).join(', ')}).`);

    if (returnRequired) {
      const items = lines.reduce((n, l) => n + l.quantity, 0);
      stage('authorizing-return', `${items} item(s) back${warehouseId ? ` to ${warehouseId}` : ''}`);
      const raRequest = { orderNumber: order.orderNumber, caseNumber: kase.caseNumber, lines: lines.map((l) => ({ sku: l.sku, quantity: l.quantity, reason })) };
      const authorization = await undoable({
        step: 'return-authorization',
        summary: `Open return authorization for ${items} item(s) of ${order.orderNumber}`,
        create: (p, summary) => run(summary, erp[p].createReturnAuthorization, raRequest, key('return-authorization')),
        undoSummary: 'Cancel return authorization',
        undo: (ra, summary, p) => run(summary, erp[p].cancelReturnAuthorization, ra.returnAuthorizationId, key('cancel-return-authorization')),
      });
      state.returnAuthorizationId = authorization.returnAuthorizationId;
    }

    if (refundNeedsApproval(amount, kase.segment, policy)) {
      approval = { required: true, decidedBy: 'supervisor' };
      approval = await supervisorApproval(amount);
      if (approval.decision === 'reject') return { rejectedBy: approval.approver ? decider(approval) : `the policy default (no decision within ${policy.approvalTimeout} + ${policy.escalationTimeout})` } as const;
      if (approval.approver) await noteOnCase('comment:approved', `Refund of ${formatMoney(amount)} approved by ${decider(approval)}.`);
    } else {
      desk.close();
      approval = { required: false, decision: 'approve', decidedBy: 'auto' };
    }

    stage('drafting-credit-memo', formatMoney(amount));
    const businessDate = new Date().toISOString().slice(0, 10);
    const memoRequest: DraftCreditMemoRequest = {
      customerId: order.customerId,
      orderNumber: order.orderNumber,
      amount,
      reason: `refund: ${reason}`,
      businessDate,
      reference: kase.caseNumber,
      lines: lines.map((l) => ({ lineNumber: l.lineNumber, quantity: l.quantity })),
    };
    const memo = await undoable({
      step: 'credit-memo',
      summary: `Draft credit memo ${formatMoney(amount)}`,
      create: (p, summary) => run(summary, erp[p].draftCreditMemo, memoRequest, key('credit-memo')),
      undoSummary: 'Void credit memo',
      undo: (cm, summary, p) => run(summary, erp[p].voidCreditMemo, cm.creditMemoId, key('void-credit-memo')),
    });
    state.creditMemoId = memo.creditMemoId;

    // The pivot. Not cancellable once sent: only the same key's answer can tell whether money left.
    stage('refunding-payment', `${formatMoney(amount)} to ${paymentId}`);
    // The refunded lines travel with the money: the provider's record stops a second refund of them, whichever ERP holds the credit memo.
    const metadata = { caseNumber: kase.caseNumber, orderNumber: order.orderNumber, creditMemoId: memo.creditMemoId, workflowId, ...refundedLinesMetadata(lines) };
    const paid = await CancellationScope.nonCancellable(() =>
      untilSucceeded('payment-refund', (p) => run(`Refund ${formatMoney(amount)} to payment ${paymentId}`, payments[p].refundPayment, { paymentId, amount, reason: 'requested_by_customer', idempotencyKey: key('payment-refund'), metadata }), alert),
    );
    saga.pivot();
    state.refundId = paid.refundId;
    return { rejectedBy: undefined, order, amount, memo, paid, businessDate };
  }

  async function supervisorApproval(amount: RefundResult['amount']): Promise<RefundApprovalOutcome> {
    stage('awaiting-approval', `${formatMoney(amount)} needs a supervisor's approval`);
    desk.awaiting = true;
    const waitStarted = Date.now();
    let decided = await desk.waitFor(policy.approvalTimeout as Duration);
    if (!decided) {
      desk.escalated = true;
      stage('approval-escalated', `no decision within ${policy.approvalTimeout}`);
      const due = new Date(Date.now() + msToNumber(policy.escalationTimeout as Duration)).toISOString().slice(0, 10);
      const subject = `Approve or reject the refund of ${formatMoney(amount)} on case ${kase.caseNumber}`;
      await mustTry('approval-escalation', (p) =>
        run('Escalate the approval to a supervisor', salesforce[p].createSalesforceEscalationTask, {
          caseId: kase.caseId,
          subject,
          idempotencyKey: key('approval-escalation'),
          description: `${subject}. Without a decision by ${due} the policy default applies: ${policy.defaultOnApprovalTimeout}.`,
          priority: 'High',
          dueDate: due,
        }),
      );
      await noteOnCase('comment:escalated', `Refund of ${formatMoney(amount)} waited ${policy.approvalTimeout} for approval; escalated to a supervisor. After ${policy.escalationTimeout} more the default applies: ${policy.defaultOnApprovalTimeout}.`, {
        step: 'case-escalated',
        summary: 'Mark the case escalated',
        change: { status: 'Escalated' },
        before: true,
      });
      decided = await desk.waitFor(policy.escalationTimeout as Duration);
    }
    desk.close();
    noteApprovalWait(Date.now() - waitStarted);
    const outcome: RefundApprovalOutcome = desk.decision
      ? { required: true, decision: desk.decision.decision, approver: desk.decision.approver, approverName: desk.decision.approverName, caller: desk.decision.caller, decidedBy: 'supervisor' }
      : { required: true, decision: policy.defaultOnApprovalTimeout, decidedBy: 'policy-default' };
    log.info('refund approval decided', { ...outcome, afterEscalation: desk.escalated, decided });
    return outcome;
  }

  async function afterThePivot({ order, amount, memo, paid, businessDate }: Exclude<typeof prepared, { rejectedBy: string }>): Promise<RefundResult> {
    // Money has left: every remaining step completes, a cancel notwithstanding.
    return CancellationScope.nonCancellable(async () => {
      stage('posting-credit-memo', memo.creditMemoId);
      const posted = await mustTry('post-credit-memo', (p) => run(`Post credit memo ${memo.creditMemoId}`, erp[p].postCreditMemo, memo.creditMemoId, key('post-credit-memo')));

      stage('recording-adjustment', paid.refundId);
      const adjustment: AdjustmentInput = {
        externalId: key('adjustment'),
        caseId: kase.caseId,
        orderNumber: order.orderNumber,
        amount,
        type: 'refund',
        status: posted ? 'posted' : 'pending',
        businessDate,
        refundId: paid.refundId,
        creditMemoId: memo.creditMemoId,
      };
      const recorded = await mustTry('adjustment', (p) => run(`Record the refund adjustment ${formatMoney(amount)} in Salesforce`, salesforce[p].upsertSalesforceAdjustment, adjustment));
      state.adjustmentId = recorded?.recordId;

      stage('updating-case', 'resolution: refund');
      await noteOnCase('comment:refunded', `Refunded ${formatMoney(amount)} to the customer's payment (refund ${paid.refundId}, credit memo ${memo.creditMemoId}).`, {
        step: 'case-resolution',
        summary: 'Set the case resolution: refund',
        change: { resolution: 'refund' },
      });
      if (state.cancelRequested) {
        log.warn('cancel requested after the payment refund; the refund was completed', { refundId: paid.refundId });
        await noteOnCase('comment:cancel-after-pivot', `A cancel was requested after the payment was refunded (refund ${paid.refundId}); money cannot be recalled, so the refund was completed.`);
      }
      stage('refunded', formatMoney(amount));
      return result('refunded');
    });
  }
}
