import assert from 'node:assert/strict';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { approveRefundUpdate, refundApprovalSignal, refundStateQuery, type RefundApproval } from '../../src/workflows/refund';
import { supervisorFor } from '../helpers/users';
import { alwaysApproval, effects, paidByCard, pickCase, refundInput, returnable, waitForStage, useRefundFixture, type RefundFixture } from './refund-harness';

/** Refunds above the approval threshold: the update (validated), the signal, and the timeout that escalates and then applies the default. */
describe('refund workflow: approval', function () {
  this.timeout(60_000);
  let fx: RefundFixture;

  useRefundFixture((current) => (fx = current));

  const urls = () => fx.sandbox.urls;
  const rejectedUpdate = async (promise: Promise<unknown>) =>
    promise.then(
      () => assert.fail('the update should have been rejected'),
      (err: unknown) => assert.ok(err instanceof WorkflowUpdateFailedError, `expected WorkflowUpdateFailedError, got ${String(err)}`),
    );

  it('waits for approval; the validator refuses malformed decisions (the refund keeps waiting); an approve update completes it', async () => {
    const { ctx, order } = pickCase(fx.sandbox, paidByCard);
    const result = await fx.withWorkers(async () => {
      const handle = await fx.start(refundInput(ctx, false, { policy: alwaysApproval }));
      await waitForStage(handle, 'awaiting-approval');
      const waiting = await handle.query(refundStateQuery);
      assert.deepEqual(waiting.amount, { amount: order.total, currency: order.currency });
      assert.equal(waiting.approval?.awaiting, true);
      assert.deepEqual(waiting.compensationsPending, []);

      const supervisor = supervisorFor(fx.sandbox, order.currency);
      await rejectedUpdate(handle.executeUpdate(approveRefundUpdate, { args: [{ decision: 'approve', approver: '  ' }] }));
      await rejectedUpdate(handle.executeUpdate(approveRefundUpdate, { args: [{ decision: 'approve', approver: 'J. Smith' }] }));
      await rejectedUpdate(handle.executeUpdate(approveRefundUpdate, { args: [{ decision: 'maybe', approver: supervisor } as unknown as RefundApproval] }));
      assert.equal((await handle.query(refundStateQuery)).stage, 'awaiting-approval');

      const answer = await handle.executeUpdate(approveRefundUpdate, { args: [{ decision: 'approve', approver: supervisor, note: 'customer is right', caller: 'test' }] });
      assert.equal(answer.decision, 'approve');
      assert.equal(answer.approver, supervisor);
      assert.deepEqual(answer.amount, { amount: order.total, currency: order.currency });
      return handle.result();
    });

    assert.equal(result.status, 'refunded');
    const names: Record<string, string> = { USD: 'Sam Stone', EUR: 'Eva Engel', GBP: 'Uma Usher' };
    assert.deepEqual(result.approval, { required: true, decision: 'approve', approver: supervisorFor(fx.sandbox, order.currency), approverName: names[order.currency], caller: 'test', decidedBy: 'supervisor' });
    const approvedNote = (await effects(urls().salesforce, 'CaseComment.created')).find((c) => String(c.data?.CommentBody).includes('approved by'));
    assert.ok(String(approvedNote?.data?.CommentBody).includes(`${names[order.currency]} (${supervisorFor(fx.sandbox, order.currency)}, via test)`), 'the Case note names the user and the caller');
    assert.equal((await effects(urls().payments, 'refund.created')).length, 1);
    assert.equal((await effects(urls().salesforce, 'Task.created')).length, 0, 'no escalation');
  });

  it('a reject signal (fire-and-forget) ends the refund as rejected and undoes the return authorization', async () => {
    const { ctx, order } = pickCase(fx.sandbox, (o, w) => paidByCard(o, w) && returnable(o, w));
    const supervisor = supervisorFor(fx.sandbox, order.currency);
    const result = await fx.withWorkers(async () => {
      const handle = await fx.start(refundInput(ctx, true, { policy: alwaysApproval }));
      await waitForStage(handle, 'awaiting-approval');
      assert.deepEqual((await handle.query(refundStateQuery)).compensationsPending, ['return-authorization']);
      await handle.signal(refundApprovalSignal, { decision: 'reject', approver: supervisor, note: 'outside policy' });
      return handle.result();
    });

    assert.equal(result.status, 'rejected');
    assert.equal(result.approval?.decision, 'reject');
    assert.equal(result.approval?.approver, supervisor);
    assert.equal(result.approval?.decidedBy, 'supervisor');
    assert.deepEqual(result.compensated, ['return-authorization']);
    assert.equal(result.refundId, undefined);
    assert.equal(result.creditMemoId, undefined);
    const created = await effects(urls().erpCloud, 'returnAuthorization.created');
    const cancelled = await effects(urls().erpCloud, 'returnAuthorization.cancelled');
    assert.equal(created.length, 1);
    assert.deepEqual(
      cancelled.map((e) => e.ref),
      created.map((e) => e.ref),
    );
    assert.equal((await effects(urls().payments, 'refund.created')).length, 0);
    assert.equal((await effects(urls().erpLegacy, 'creditMemo.drafted')).length, 0);
    const comments = await effects(urls().salesforce, 'CaseComment.created');
    assert.ok(comments.some((c) => String(c.data?.CommentBody).includes(`rejected by`) && String(c.data?.CommentBody).includes(supervisor)));
  });

  it('without a decision it escalates (a supervisor task, the Case escalated), then applies the policy default', async () => {
    const { ctx } = pickCase(fx.sandbox, paidByCard);
    const policy = { ...alwaysApproval, approvalTimeout: '2 seconds', escalationTimeout: '2 seconds', defaultOnApprovalTimeout: 'approve' as const };
    const result = await fx.withWorkers(async () => {
      const handle = await fx.start(refundInput(ctx, false, { policy }));
      await waitForStage(handle, 'approval-escalated');
      assert.equal((await handle.query(refundStateQuery)).approval?.escalated, true);
      return handle.result();
    });

    assert.equal(result.status, 'refunded');
    assert.deepEqual(result.approval, { required: true, decision: 'approve', decidedBy: 'policy-default' });
    const tasks = await effects(urls().salesforce, 'Task.created');
    assert.equal(tasks.length, 1);
    assert.equal(tasks[0].data?.WhatId, ctx.caseId);
    assert.equal(tasks[0].data?.Priority, 'High');
    const escalated = (await effects(urls().salesforce, 'Case.updated')).filter((u) => u.ref === ctx.caseId && u.data?.Status === 'Escalated');
    assert.equal(escalated.length, 1);
    assert.equal((await effects(urls().payments, 'refund.created')).length, 1);
  });
});
