import assert from 'node:assert/strict';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { approveRefundUpdate, type RefundApproval, type RefundInput } from '../../src/workflows/refund';
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
