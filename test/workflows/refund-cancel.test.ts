import assert from 'node:assert/strict';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { approveRefundUpdate, type refund, type RefundApproval, type RefundInput } from '../../src/workflows/refund';
import { uniqueName } from '../helpers/temporal';
import { systemQueuesOf } from '../workers/fake-activities';
import { admin } from '../helpers/sandbox';
import { alwaysApproval, effects, noApproval, paidByCard, pickCase, refundInput, returnable, waitForStage, useRefundFixture, type RefundFixture } from './refund-harness';
import { supervisorFor } from '../helpers/users';

/** Cancelling from outside (handle.cancel(), as the CLI and API do) and starting the same refund again. */
describe('refund workflow: cancellation and running twice', function () {
  this.timeout(60_000);
  let fx: RefundFixture;

  useRefundFixture((current) => (fx = current));

  const urls = () => fx.sandbox.urls;
  async function activityStarted(handle: WorkflowHandle, activityType: string): Promise<void> {
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
      const { raw } = await handle.describe();
      if (raw.pendingActivities?.some((a) => a.activityType?.name === activityType && a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${activityType} never started`);
  }

  it('a cancel before the pivot undoes the return authorization, hands the Case back and completes with status cancelled', async () => {
    const { ctx } = pickCase(fx.sandbox, (o, w) => paidByCard(o, w) && returnable(o, w));
    const [result, description] = await fx.withWorkers(async () => {
      const handle = await fx.start(refundInput(ctx, true, { policy: alwaysApproval }));
      await waitForStage(handle, 'awaiting-approval');
      await handle.cancel();
      return [await handle.result(), await handle.describe()] as const;
    });

    assert.equal(description.status.name, 'COMPLETED', 'the execution completes; its result says cancelled');
    assert.equal(result.status, 'cancelled');
    assert.deepEqual(result.compensated, ['return-authorization']);
    const created = await effects(urls().erpCloud, 'returnAuthorization.created');
    assert.equal(created.length, 1);
    assert.deepEqual(
      (await effects(urls().erpCloud, 'returnAuthorization.cancelled')).map((e) => e.ref),
      created.map((e) => e.ref),
    );
    assert.equal((await effects(urls().payments, 'refund.created')).length, 0);
    assert.equal((await effects(urls().erpLegacy, 'creditMemo.drafted')).length, 0);
    const comments = await effects(urls().salesforce, 'CaseComment.created');
    assert.ok(comments.some((c) => String(c.data?.CommentBody).includes('Refund cancelled')));
    const handedBack = (await effects(urls().salesforce, 'Case.updated')).filter((u) => u.ref === ctx.caseId && u.data?.Status === 'Working');
    assert.equal(handedBack.length, 1);
  });

  it('an ERP outage during compensation is waited out by server-side retries: a 15 s outage adds no more history events than a 3 s one', async () => {
    const outageDuringUndo = async (durationMs: number) => {
      const { ctx } = pickCase(fx.sandbox, (o, w) => paidByCard(o, w) && returnable(o, w) && !used.has(o.orderNumber));
      used.add(ctx.orderNumber);
      // Two bounded attempts, then the patient undo, retried by the server at most a second apart.
      const input = refundInput(ctx, true, { policy: { ...alwaysApproval, alertAfterAttempts: 2, retryMaximumInterval: '1 second' }, taskQueues: systemQueuesOf(fx.config) });
      const handle = await fx.client.workflow.start<typeof refund>('refund', { taskQueue: fx.config.taskQueues.orchestration, workflowId: uniqueName(`refund/${ctx.caseNumber}`), args: [input] });
      await waitForStage(handle, 'awaiting-approval');
      await admin(urls().erpCloud!).fault({ kind: 'outage', method: 'POST', path: '/api/v2/return-authorizations/*/cancel', durationMs });
      const began = Date.now();
      await handle.cancel();
      const result = await handle.result();
      const took = Date.now() - began;
      assert.equal(result.status, 'cancelled');
      assert.deepEqual(result.compensated, ['return-authorization']);
      assert.deepEqual(result.alerts.map((a) => a.step), ['undo return-authorization'], 'one alert for the stuck undo');
      const events = (await handle.fetchHistory()).events ?? [];
      const cancelledAt = events.findIndex((e) => e.workflowExecutionCancelRequestedEventAttributes);
      assert.ok(cancelledAt > 0);
      return { took, events: events.length, timers: events.slice(cancelledAt).filter((e) => e.timerStartedEventAttributes).length };
    };
    const used = new Set<string>();
    const [short, long] = await fx.withWorkers(async () => [await outageDuringUndo(3_000), await outageDuringUndo(15_000)]);

    assert.ok(long.took >= 14_000, `the undo waited the outage out (${long.took} ms)`);
    assert.deepEqual([short.timers, long.timers], [0, 0], 'no workflow timer between rounds of the undo');
    assert.equal(long.events, short.events, `history events: ${short.events} for 3 s, ${long.events} for 15 s`);
    const created = await effects(urls().erpCloud, 'returnAuthorization.created');
    assert.equal(created.length, 2);
    assert.deepEqual((await effects(urls().erpCloud, 'returnAuthorization.cancelled')).map((e) => e.ref).sort(), created.map((e) => e.ref).sort(), 'each cancelled exactly once');
  });

  it('a cancel while the return authorization call is in flight: the undo replays the create (same key) for the id and cancels it', async () => {
    const { ctx } = pickCase(fx.sandbox, (o, w) => paidByCard(o, w) && returnable(o, w));
    await admin(urls().erpCloud!).fault({ kind: 'latency', method: 'POST', path: '/api/v2/return-authorizations', latencyMs: 1_500, count: 1 });
    const result = await fx.withWorkers(async () => {
      const handle = await fx.start(refundInput(ctx, true, { policy: noApproval }));
      await activityStarted(handle, 'createReturnAuthorization');
      await handle.cancel();
      return handle.result();
    });

    assert.equal(result.status, 'cancelled');
    assert.deepEqual(result.compensated, ['return-authorization']);
    const created = await effects(urls().erpCloud, 'returnAuthorization.created');
    assert.equal(created.length, 1, 'the first call and the replay made one return authorization');
    assert.deepEqual(
      (await effects(urls().erpCloud, 'returnAuthorization.cancelled')).map((e) => e.ref),
      created.map((e) => e.ref),
    );
    assert.equal((await effects(urls().payments, 'refund.created')).length, 0);
  });

  it('a cancel while the payment refund is in flight is recorded, and the refund completes (money cannot be recalled)', async () => {
    const { ctx } = pickCase(fx.sandbox, paidByCard);
    await admin(urls().payments!).fault({ kind: 'latency', method: 'POST', path: '/v1/refunds', latencyMs: 2_000, count: 1 });
    const result = await fx.withWorkers(async () => {
      const handle = await fx.start(refundInput(ctx, false, { policy: noApproval }));
      await waitForStage(handle, 'refunding-payment');
      await handle.cancel();
      return handle.result();
    });

    assert.equal(result.status, 'refunded');
    assert.equal(result.cancelRequestedAfterPivot, true);
    assert.deepEqual(result.compensated, []);
    assert.equal((await effects(urls().payments, 'refund.created')).length, 1);
    assert.equal((await effects(urls().erpLegacy, 'creditMemo.posted')).length, 1);
    assert.equal((await effects(urls().erpLegacy, 'creditMemo.voided')).length, 0);
    assert.equal((await effects(urls().salesforce, 'Customer_Adjustment__c.created')).length, 1);
  });

  it('the same refund (same workflow id) started twice never refunds twice: the second run finds nothing left to refund', async () => {
    const { ctx, order } = pickCase(fx.sandbox, paidByCard);
    const input: RefundInput = refundInput(ctx, false, { policy: alwaysApproval });
    const approve = { args: [{ decision: 'approve', approver: supervisorFor(fx.sandbox, order.currency) }] as [RefundApproval] };
    const [first, second] = await fx.withWorkers(async () => {
      const handle = await fx.start(input);
      await waitForStage(handle, 'awaiting-approval');
      await assert.rejects(fx.start(input), WorkflowExecutionAlreadyStartedError);
      await handle.executeUpdate(approveRefundUpdate, approve);
      const first = await handle.result();

      // Started again after it closed (a redelivered request, an operator's retry): the payment provider says it is refunded.
      const again = await fx.start(input);
      return [first, await again.result().catch((err: unknown) => err)] as const;
    });

    assert.equal(first.status, 'refunded');
    assert.ok(second instanceof WorkflowFailedError && second.cause instanceof ApplicationFailure, String(second));
    assert.equal(second.cause.type, 'ValidationError');
    assert.equal((await effects(urls().payments, 'refund.created')).length, 1, 'exactly one refund');
    assert.equal((await effects(urls().erpLegacy, 'creditMemo.drafted')).length, 1);
    assert.equal((await effects(urls().erpLegacy, 'creditMemo.posted')).length, 1);
    assert.equal((await effects(urls().salesforce, 'Customer_Adjustment__c.created')).length, 1);
  });
});
