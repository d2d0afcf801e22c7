import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { refundStateQuery, type RefundInput, type RefundResult } from '../../src/workflows/refund';
import { admin } from '../helpers/sandbox';
import { effects, noApproval, paidByCard, pickCase, refundInput, returnable, useRefundFixture, type RefundFixture } from './refund-harness';

/** The refund saga on the real dev server, the real workers and connectors, against the sandbox enterprise. */
describe('refund workflow (saga)', function () {
  this.timeout(60_000);
  let fx: RefundFixture;

  useRefundFixture((current) => (fx = current));

  const urls = () => fx.sandbox.urls;
  const failureOf = async (promise: Promise<unknown>) =>
    promise.then(
      () => assert.fail('the refund should have failed'),
      (err: unknown) => err,
    );
  /** WorkflowFailedError → ActivityFailure → ApplicationFailure: the type of the step that said no. */
  const activityFailureType = (err: unknown) => {
    assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${String(err)}`);
    assert.ok(err.cause instanceof ActivityFailure, `expected ActivityFailure, got ${String(err.cause)}`);
    assert.ok(err.cause.cause instanceof ApplicationFailure);
    return err.cause.cause.type;
  };

  async function ledgers() {
    return {
      refunds: await effects(urls().payments, 'refund.created'),
      drafted: await effects(urls().erpLegacy, 'creditMemo.drafted'),
      posted: await effects(urls().erpLegacy, 'creditMemo.posted'),
      voided: await effects(urls().erpLegacy, 'creditMemo.voided'),
      raCreated: await effects(urls().erpCloud, 'returnAuthorization.created'),
      raCancelled: await effects(urls().erpCloud, 'returnAuthorization.cancelled'),
      adjustments: await effects(urls().salesforce, 'Customer_Adjustment__c.created'),
      comments: await effects(urls().salesforce, 'CaseComment.created'),
      caseUpdates: await effects(urls().salesforce, 'Case.updated'),
    };
  }

  it('refunds a whole order without approval: one refund, one credit memo drafted and posted, one adjustment, the Case resolved', async () => {
    const { ctx, order } = pickCase(fx.sandbox, paidByCard);
    const result: RefundResult = await fx.withWorkers(async () => (await fx.start(refundInput(ctx, false, { policy: noApproval }))).result());

    assert.equal(result.status, 'refunded');
    assert.deepEqual(result.amount, { amount: order.total, currency: order.currency });
    assert.deepEqual(result.approval, { required: false, decision: 'approve', decidedBy: 'auto' });
    assert.deepEqual(result.compensated, []);
    assert.deepEqual(result.alerts, []);
    assert.ok(result.refundId && result.creditMemoId?.startsWith('legacy:') && result.adjustmentId);
    assert.equal(result.returnAuthorizationId, undefined);

    const l = await ledgers();
    assert.equal(l.refunds.length, 1, 'exactly one refund.created');
    assert.equal(l.refunds[0].ref, result.refundId);
    assert.equal(l.refunds[0].data?.amount, order.total);
    assert.equal(l.refunds[0].idempotencyKey, `${fx.workflowId.replace(/\//g, ':')}:payment-refund`);
    assert.equal(l.drafted.length, 1);
    assert.equal(l.posted.length, 1);
    assert.equal(l.voided.length, 0);
    assert.equal(`legacy:${l.posted[0].ref}`, result.creditMemoId);
    assert.equal(l.adjustments.length, 1);
    assert.equal(l.adjustments[0].ref, result.adjustmentId);
    assert.equal(l.adjustments[0].data?.Refund_Id__c, result.refundId);
    assert.equal(l.adjustments[0].data?.Credit_Memo_Id__c, result.creditMemoId);
    assert.equal(l.raCreated.length, 0);
    assert.ok(l.caseUpdates.some((u) => u.ref === ctx.caseId && u.data?.Resolution__c !== undefined), 'the Case resolution is set');
    assert.equal(l.comments.length, 2, 'started + refunded');
  });

  it('refunds part of an order (one unit of one line) after authorizing its return', async () => {
    const { ctx, order } = pickCase(fx.sandbox, (o, w) => paidByCard(o, w) && returnable(o, w) && o.lines.some((l) => l.quantity > 1) && o.lines.length > 1);
    const line = order.lines.find((l) => l.quantity > 1)!;
    const result = await fx.withWorkers(async () => (await fx.start(refundInput(ctx, true, { lines: [{ lineNumber: line.lineNumber, quantity: 1 }], policy: noApproval }))).result());

    assert.equal(result.status, 'refunded');
    assert.deepEqual(result.amount, { amount: line.unitPrice, currency: order.currency });
    assert.ok(result.returnAuthorizationId);
    const l = await ledgers();
    assert.equal(l.refunds.length, 1);
    assert.equal(l.refunds[0].data?.amount, line.unitPrice);
    assert.equal(l.raCreated.length, 1);
    assert.equal(l.raCreated[0].ref, result.returnAuthorizationId);
    assert.equal(l.raCancelled.length, 0);
    const memo = (await admin(urls().erpLegacy!).ledger({ kind: 'creditMemo.drafted' })).entries[0];
    assert.equal(memo.data?.amount, (line.unitPrice / 100).toFixed(2));
  });

  it('fails at once with ValidationError on a line the order does not have or more than was ordered, touching nothing', async () => {
    const { ctx, order } = pickCase(fx.sandbox, paidByCard);
    const err = await fx.withWorkers(async () =>
      failureOf((await fx.start(refundInput(ctx, true, { lines: [{ lineNumber: order.lines[0].lineNumber, quantity: order.lines[0].quantity + 1 }] }))).result()),
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'ValidationError');
    assert.equal(err.cause.nonRetryable, true);
    const l = await ledgers();
    assert.deepEqual([l.refunds.length, l.drafted.length, l.raCreated.length], [0, 0, 0]);
  });

  describe('each step failed in turn: a complete undo before the pivot', () => {
    let picked: ReturnType<typeof pickCase>;
    let input: RefundInput;
    beforeEach(() => {
      picked = pickCase(fx.sandbox, (o, w) => paidByCard(o, w) && returnable(o, w));
      input = refundInput(picked.ctx, true, { policy: noApproval });
    });

    it('return authorization rejected (422): nothing to undo, fails with ValidationError', async () => {
      await admin(urls().erpCloud!).fault({ kind: 'error', method: 'POST', path: '/api/v2/return-authorizations', status: 422, count: 1 });
      const err = await fx.withWorkers(async () => failureOf((await fx.start(input)).result()));
      assert.equal(activityFailureType(err), 'ValidationError');
      const l = await ledgers();
      assert.deepEqual([l.raCreated.length, l.drafted.length, l.refunds.length, l.adjustments.length], [0, 0, 0, 0]);
    });

    it('credit memo rejected by the legacy ERP: the return authorization is cancelled, fails with ValidationError', async () => {
      await admin(urls().erpLegacy!).fault({ kind: 'error', method: 'POST', path: '/legacy/finance/CreditMemoService', status: 500, errorCode: 'VAL-001', count: 1 });
      const err = await fx.withWorkers(async () => failureOf((await fx.start(input)).result()));
      assert.equal(activityFailureType(err), 'ValidationError');
      const l = await ledgers();
      assert.equal(l.raCreated.length, 1);
      assert.deepEqual(
        l.raCancelled.map((e) => e.ref),
        l.raCreated.map((e) => e.ref),
      );
      assert.deepEqual([l.drafted.length, l.refunds.length, l.adjustments.length], [0, 0, 0]);
    });

    it('payment refund rejected (amount_too_large): credit memo voided, return authorization cancelled, fails with BusinessRejectionError', async () => {
      await admin(urls().payments!).fault({ kind: 'error', method: 'POST', path: '/v1/refunds', status: 400, errorCode: 'amount_too_large', count: 1 });
      const [err, state] = await fx.withWorkers(async () => {
        const handle = await fx.start(input);
        return [await failureOf(handle.result()), await handle.query(refundStateQuery)] as const;
      });
      assert.equal(activityFailureType(err), 'BusinessRejectionError');
      assert.equal(state.stage, 'failed');
      // Undone newest first.
      assert.deepEqual(state.compensated, ['credit-memo', 'return-authorization']);
      assert.deepEqual(state.compensationsPending, []);
      const l = await ledgers();
      assert.equal(l.refunds.length, 0);
      assert.equal(l.drafted.length, 1);
      assert.deepEqual(
        l.voided.map((e) => e.ref),
        l.drafted.map((e) => e.ref),
      );
      assert.equal(l.posted.length, 0);
      assert.equal(l.raCreated.length, 1);
      assert.equal(l.raCancelled.length, 1);
      assert.equal(l.adjustments.length, 0);
    });
  });

  it('a payment provider outage at the pivot raises one alert and keeps retrying until the refund goes through, once', async () => {
    const { ctx } = pickCase(fx.sandbox, paidByCard);
    // Three refused refunds, counted rather than timed: both bounded attempts (the alert) and the first patient one.
    await admin(urls().payments!).fault({ kind: 'outage', method: 'POST', path: '/v1/refunds', count: 3, durationMs: 600_000 });
    const result = await fx.withWorkers(async () => (await fx.start(refundInput(ctx, false, { policy: { ...noApproval, alertAfterAttempts: 2 } }))).result());

    assert.equal(result.status, 'refunded');
    assert.deepEqual(
      result.alerts.map((a) => [a.step, a.errorType]),
      [['payment-refund', 'DownstreamUnavailableError']],
    );
    const l = await ledgers();
    assert.equal(l.refunds.length, 1);
    assert.equal(l.posted.length, 1);
    assert.equal(l.voided.length, 0);
  });

  it('after the pivot, a Salesforce outage on the adjustment is retried (one alert) until it succeeds', async () => {
    const { ctx } = pickCase(fx.sandbox, paidByCard);
    await admin(urls().salesforce!).fault({ kind: 'error', path: '/services/data/*/sobjects/Customer_Adjustment__c*', status: 503, count: 3 });
    const result = await fx.withWorkers(async () => (await fx.start(refundInput(ctx, false, { policy: { ...noApproval, alertAfterAttempts: 2 } }))).result());

    assert.equal(result.status, 'refunded');
    assert.deepEqual(
      result.alerts.map((a) => [a.step, a.errorType]),
      [['adjustment', 'DownstreamUnavailableError']],
    );
    const l = await ledgers();
    assert.equal(l.refunds.length, 1);
    assert.equal(l.posted.length, 1);
    assert.equal(l.adjustments.length, 1);
    assert.ok(l.comments.some((c) => String(c.data?.CommentBody).includes('"adjustment" keeps failing')), 'the alert is noted on the Case');
  });
});
