import assert from 'node:assert/strict';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Sandbox } from '../../sandbox';
import { buildActivities } from '../../src/activities';
import { cancelProcess, chooseResolution, startRefund, UpdateRejectedError } from '../../src/client';
import type { Config } from '../../src/config';
import { policySourceOf } from '../../src/config/policy';
import type { ResolutionPolicyInput } from '../../src/domain/policy';
import { createWorkers } from '../../src/workers/workers';
import { caseResolution } from '../../src/workflows';
import { caseResolutionStateQuery, ChoiceRejections } from '../../src/workflows/case-resolution';
import { workflowIds } from '../../src/workflows/lib/case-context';
import { DeciderRejections, refundStateQuery } from '../../src/workflows/refund';
import { shipmentEventSignal } from '../../src/workflows/replacement';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';
import { userId } from '../helpers/users';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, runWorkersUntil, testEnvTimeoutMs } from '../helpers/temporal';
import { systemQueuesOf } from '../workers/fake-activities';
import { caseLedger, eventually, ledgerFor, openCase, sellOut, type OpenedCase } from './case-resolution-world';

/** caseResolution through the real workers, connectors and child workflows against the sandbox enterprise. */
describe('caseResolution', function () {
  this.timeout(90_000);
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;
  let sandbox: Sandbox;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    [env, workflowBundle, sandbox] = await Promise.all([getTestEnv(), getWorkflowBundle(), startTestSandbox()]);
  });

  after(async () => {
    await sandbox?.close();
  });

  // Refunds below this need no supervisor: keeps the policy paths short.
  const noApproval: ResolutionPolicyInput = { approvalThreshold: { default: 10_000_000 } };

  /** Runs the real worker set on this test's own queues while `drive` starts and steers the case. */
  async function withWorkers<T>(drive: (client: Client, config: Config) => Promise<T>): Promise<T> {
    const config = configFor(sandbox, isolatedQueueEnv('case'));
    const activities = buildActivities(config, { policy: policySourceOf({}) });
    try {
      const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities });
      return await runWorkersUntil(workers, () => drive(env.client, config));
    } finally {
      await activities.close();
    }
  }

  function start(client: Client, config: Config, kase: OpenedCase, policy?: ResolutionPolicyInput) {
    return client.workflow.start(caseResolution, {
      taskQueue: config.taskQueues.orchestration,
      workflowId: workflowIds.caseResolution(kase.caseNumber),
      args: [{ caseNumber: kase.caseNumber, policy, taskQueues: systemQueuesOf(config) }],
    });
  }

  it('replaces a damaged item by policy when a warehouse has stock, follows the parcel to delivery and closes the Case', async () => {
    const kase = openCase(sandbox, '00010034');
    const summary = await withWorkers(async (client, config) => {
      const handle = await start(client, config, kase);
      // The warehouse and carrier report the replacement parcel's milestones as signals to the child.
      const child = client.workflow.getHandle(workflowIds.replacement(kase.caseNumber));
      await eventually(() => child.describe(), 20_000, 'the replacement child');
      const at = new Date().toISOString();
      await child.signal(shipmentEventSignal, { eventId: `${kase.caseNumber}-shipped`, type: 'shipped', trackingNumber: '1ZTEST', carrier: 'UPS', occurredAt: at });
      await child.signal(shipmentEventSignal, { eventId: `${kase.caseNumber}-delivered`, type: 'delivered', occurredAt: at });
      return handle.result();
    });
    assert.equal(summary.decision, 'replacement');
    assert.equal(summary.decidedBy, 'policy');
    assert.equal(summary.rule, 'replacement-for-damaged-item');
    assert.equal(summary.outcome, 'replaced');
    assert.equal(summary.child?.workflowId, workflowIds.replacement(kase.caseNumber));
    assert.equal(summary.child?.result?.status, 'delivered');
    assert.equal(summary.facts.stock.status, 'available');
    assert.equal(summary.facts.orderStatus, 'delivered');
    assert.equal(summary.facts.settlement, 'settled');

    const ledger = await caseLedger(sandbox, kase.caseId);
    assert.equal(ledger.updates[0].Status, 'Working');
    assert.deepEqual(ledger.updates.at(-1), { Status: 'Closed', Resolution__c: ledger.updates.at(-1)!.Resolution__c });
    assert.ok(ledger.updates.at(-1)!.Resolution__c, 'the resolution is recorded on the Case');
    assert.ok(ledger.comments.some((c) => c.includes('Decision: replacement')));
    const reservations = await ledgerFor(sandbox.urls.erpCloud!, 'reservation.created', (e) => e.idempotencyKey?.includes(kase.caseNumber) ?? false);
    assert.equal(reservations.length, 1);
  });

  it('refunds a parcel that never arrived by policy and writes each milestone back to the Case', async () => {
    const kase = openCase(sandbox, '00010021');
    const { summary, again } = await withWorkers(async (client, config) => {
      const summary = await (await start(client, config, kase, noApproval)).result();
      // The case's refund is done: starting it again (API, CLI) must not refund twice.
      const again = await startRefund(client, { taskQueue: config.taskQueues.orchestration, input: { caseNumber: kase.caseNumber, caseId: kase.caseId, policy: noApproval } });
      return { summary, again };
    });
    assert.deepEqual([again.workflowId, again.existing, again.status], [workflowIds.refund(kase.caseNumber), true, 'COMPLETED']);
    assert.deepEqual([summary.decision, summary.decidedBy, summary.rule, summary.outcome], ['refund', 'policy', 'refund-for-not-received', 'refunded']);
    assert.equal(summary.child?.result?.status, 'refunded');

    const refunds = await ledgerFor(sandbox.urls.payments!, 'refund.created', (e) => JSON.stringify(e.data ?? {}).includes(kase.caseNumber) || (e.idempotencyKey?.includes(kase.caseNumber) ?? false));
    assert.equal(refunds.length, 1, 'exactly one payment refund');
    const ledger = await caseLedger(sandbox, kase.caseId);
    assert.equal(ledger.updates[0].Status, 'Working');
    const closing = ledger.updates.at(-1)!;
    assert.equal(closing.Status, 'Closed');
    assert.ok(closing.Resolution__c);
    assert.equal(ledger.comments.filter((c) => c.includes('Decision: refund by policy')).length, 1, 'one facts-and-decision comment');
  });

  it('waits for the agent when the policy cannot decide: rejects invalid choices, accepts a valid one and runs its child', async () => {
    const kase = openCase(sandbox, '00010005');
    sellOut(sandbox, kase.orderNumber);
    const { summary, rejections, late } = await withWorkers(async (client, config) => {
      const handle = await start(client, config, kase, noApproval);
      await eventually(async () => ((await handle.query(caseResolutionStateQuery)).stage === 'awaiting-agent' ? true : undefined), 20_000, 'awaiting-agent');
      const reasonOf = (choice: Parameters<typeof chooseResolution>[2]) =>
        chooseResolution(client, kase.caseNumber, choice).then(
          () => 'accepted',
          (err: unknown) => (err instanceof UpdateRejectedError ? err.reason : `unexpected ${String(err)}`),
        );
      const ana = userId(sandbox, 'agent');
      const rejections = {
        noStock: await reasonOf({ resolution: 'replacement', agent: ana }),
        unknownLine: await reasonOf({ resolution: 'refund', agent: ana, lines: [{ lineNumber: 999, quantity: 1 }] }),
        tooMany: await reasonOf({ resolution: 'refund', agent: ana, lines: [{ lineNumber: 10, quantity: 99 }] }),
        noAgent: await reasonOf({ resolution: 'refund', agent: ' ' }),
        freeText: await reasonOf({ resolution: 'refund', agent: 'ana' }),
        inactive: await reasonOf({ resolution: 'refund', agent: userId(sandbox, 'inactive') }),
      };
      const accepted = await chooseResolution(client, kase.caseNumber, { resolution: 'refund', agent: ana, lines: [{ lineNumber: 10, quantity: 1 }], note: 'goodwill' });
      assert.deepEqual(accepted, { accepted: true, resolution: 'refund' });
      const late = await reasonOf({ resolution: 'refund', agent: userId(sandbox, 'supervisorUsd') });
      return { summary: await handle.result(), rejections, late };
    });
    assert.deepEqual(rejections, {
      noStock: ChoiceRejections.noStock,
      unknownLine: ChoiceRejections.invalid,
      tooMany: ChoiceRejections.invalid,
      noAgent: ChoiceRejections.invalid,
      freeText: DeciderRejections.malformed,
      inactive: DeciderRejections.inactive,
    });
    assert.equal(late, ChoiceRejections.notAwaiting, 'a second choice is refused once the case stopped waiting');
    assert.deepEqual([summary.decision, summary.decidedBy, summary.agent, summary.rule, summary.outcome], ['refund', 'agent', userId(sandbox, 'agent'), 'no-rule-for-delayed-shipment', 'refunded']);
    assert.equal(summary.facts.stock.status, 'unavailable');
    const order = sandbox.world().orders.find((o) => o.orderNumber === kase.orderNumber)!;
    const line = order.lines.find((l) => l.lineNumber === 10)!;
    assert.equal((summary.child?.result as { amount: { amount: number } }).amount.amount, line.unitPrice, 'a partial refund of one unit of line 10');
    const ledger = await caseLedger(sandbox, kase.caseId);
    assert.ok(ledger.comments.some((c) => c.includes(`agent Ana Alves (${userId(sandbox, 'agent')}) chose refund`)));
  });

  it('escalates when no agent chooses in time, then closes the Case without action (the carrier down meanwhile: shipment unknown)', async () => {
    const kase = openCase(sandbox, '00010009');
    const carrier = admin(sandbox.urls.carrier!);
    await carrier.fault({ kind: 'outage', durationMs: 60_000 });
    const summary = await withWorkers(async (client, config) => (await start(client, config, kase, { agentChoiceTimeout: '2 seconds' })).result()).finally(() => carrier.clearFaults());
    assert.deepEqual([summary.decision, summary.decidedBy, summary.rule, summary.outcome], ['no-action', 'policy', 'agent-choice-timeout', 'no-action']);
    assert.equal(summary.child, undefined);
    assert.equal(summary.facts.shipmentStatus, 'unknown', 'a carrier outage degrades the fact, not the case');
    assert.equal(summary.facts.orderStatus, 'shipped');
    const ledger = await caseLedger(sandbox, kase.caseId);
    assert.equal(ledger.tasks.length, 1, 'one escalation task for a supervisor');
    assert.equal(ledger.tasks[0].Priority, 'High');
    const closing = ledger.updates.at(-1)!;
    assert.equal(closing.Status, 'Closed');
    assert.ok(closing.Resolution__c);
  });

  it('cancelled while its refund awaits approval: the child undoes the return authorization, no money moves, the Case is handed back', async () => {
    const kase = openCase(sandbox, '00010020');
    const { failure, refundState, cancelReason } = await withWorkers(async (client, config) => {
      // Goods come back for this reason here, so there is work for the cancel to undo.
      const handle = await start(client, config, kase, { returnRequiredFor: ['not-received'] });
      const refund = client.workflow.getHandle(workflowIds.refund(kase.caseNumber));
      await eventually(async () => ((await refund.query(refundStateQuery)).stage === 'awaiting-approval' ? true : undefined), 30_000, 'the refund awaiting approval');
      await cancelProcess(client, handle.workflowId, 'customer withdrew the complaint');
      const failure = await handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      const history = await handle.fetchHistory();
      const cancelRequest = history.events?.find((e) => e.workflowExecutionCancelRequestedEventAttributes)?.workflowExecutionCancelRequestedEventAttributes;
      return { failure, refundState: await refund.query(refundStateQuery), cancelReason: cancelRequest?.cause };
    });
    assert.equal(cancelReason, 'customer withdrew the complaint', 'the reason is recorded with the cancel request');
    assert.ok(failure instanceof WorkflowFailedError && failure.cause instanceof CancelledFailure, 'the case resolution ends cancelled');
    assert.equal(refundState.stage, 'cancelled');
    assert.deepEqual(refundState.compensated, ['return-authorization']);

    const created = await ledgerFor(sandbox.urls.erpCloud!, 'returnAuthorization.created', (e) => e.data?.orderNumber === kase.orderNumber);
    const cancelled = await ledgerFor(sandbox.urls.erpCloud!, 'returnAuthorization.cancelled', (e) => created.some((c) => c.ref === e.ref));
    assert.equal(created.length, 1);
    assert.equal(cancelled.length, 1);
    const refunds = await ledgerFor(sandbox.urls.payments!, 'refund.created', (e) => JSON.stringify(e.data ?? {}).includes(kase.caseNumber));
    assert.equal(refunds.length, 0, 'no money moved');
    const ledger = await caseLedger(sandbox, kase.caseId);
    assert.ok(ledger.comments.some((c) => c.includes('the resolution was cancelled')));
    assert.equal(ledger.updates.at(-1)!.Status, 'Working');
  });

  it('keeps reading the order through an ERP outage (one alert on the Case) and answers its state query while it runs', async () => {
    const kase = openCase(sandbox, '00010025');
    await admin(sandbox.urls.erpCloud!).fault({ kind: 'error', status: 503, method: 'GET', path: `/api/v2/orders/${kase.orderNumber}`, count: 3 });
    await withWorkers(async (client, config) => {
      const handle = await start(client, config, kase, { agentChoiceTimeout: '30 seconds', alertAfterAttempts: 2 });
      const state = await eventually(async () => {
        const s = await handle.query(caseResolutionStateQuery);
        return s.stage === 'awaiting-agent' ? s : undefined;
      });
      assert.equal(state.case?.caseNumber, kase.caseNumber);
      assert.equal(state.case?.orderNumber, kase.orderNumber);
      assert.equal(state.policyRule, 'outside-refund-window');
      assert.ok(state.facts?.order.lines.length);
      assert.deepEqual(state.alerts.map((a) => [a.step, a.errorType]), [['read order', 'DownstreamUnavailableError']]);
      await handle.terminate('test done');
    });
    const ledger = await caseLedger(sandbox, kase.caseId);
    assert.equal(ledger.comments.filter((c) => c.includes('"read order" keeps failing')).length, 1, 'one alert comment on the Case');
  });
});
