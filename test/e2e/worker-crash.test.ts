import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Sandbox } from '../../sandbox';
import type { refund, RefundResult } from '../../src/workflows/refund';
import { admin, configFor, sandboxUrlEnv, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, isolatedQueueEnv, testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { systemQueuesOf } from '../workers/fake-activities';
import { noApproval, paidByCard, pickCase, refundInput, returnable } from '../workflows/refund-harness';

const { EventType, PendingActivityState } = temporal.api.enums.v1;

/**
 * The worker process is killed with SIGKILL while the payment refund (the pivot) is in flight; a new
 * worker process takes over. The refund completes with exactly one refund and one credit memo,
 * within seconds: the lost attempt is noticed at its heartbeat timeout, and the retry carries the
 * same idempotency key, so the payment provider answers with the refund it already made.
 */
describe('a worker killed in the middle of a refund saga', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let sandbox: Sandbox;
  const workers: WorkerProcess[] = [];

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    [env, sandbox] = await Promise.all([getTestEnv(), startTestSandbox()]);
  });
  after(async () => {
    for (const worker of workers) await worker.kill('SIGKILL');
    await sandbox?.close();
  });

  it('completes after a restart with exactly one refund and one credit memo', async () => {
    const queueEnv = isolatedQueueEnv('crash');
    const config = configFor(sandbox, queueEnv);
    const u = sandbox.urls;
    const workerEnv = { ...queueEnv, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default', ...sandboxUrlEnv(sandbox) };
    const start = () => {
      const worker = spawnWorkerProcess(workerEnv);
      workers.push(worker);
      return worker;
    };

    // The pivot's HTTP call takes 4 s, so the worker dies with it in flight.
    await admin(u.payments!).fault({ kind: 'latency', method: 'POST', path: '/v1/refunds', latencyMs: 4_000, count: 1 });
    const first = start();
    await first.ready;

    const { ctx } = pickCase(sandbox, (o, w) => paidByCard(o, w) && returnable(o, w));
    const handle: WorkflowHandle<typeof refund> = await env.client.workflow.start<typeof refund>('refund', {
      taskQueue: config.taskQueues.orchestration,
      workflowId: uniqueName('refund/crash'),
      args: [refundInput(ctx, true, { policy: noApproval, taskQueues: systemQueuesOf(config) })],
    });
    await refundInFlight(handle);
    await new Promise((resolve) => setTimeout(resolve, 500)); // the request reaches the payment provider

    await first.kill('SIGKILL');
    assert.equal((await admin(u.payments!).ledger({ kind: 'refund.created' })).count, 0, 'killed before the provider answered');
    const killedAt = Date.now();
    const second = start();
    await second.ready;

    const result: RefundResult = await handle.result();
    const recoveredInMs = Date.now() - killedAt;

    assert.equal(result.status, 'refunded');
    const ledger = async (url: string | undefined, kind: string) => (await admin(url!).ledger({ kind })).entries;
    const refunds = await ledger(u.payments, 'refund.created');
    assert.equal(refunds.length, 1, 'exactly one refund');
    assert.equal(refunds[0].ref, result.refundId);
    assert.equal((await ledger(u.erpLegacy, 'creditMemo.drafted')).length, 1, 'exactly one credit memo drafted');
    assert.equal((await ledger(u.erpLegacy, 'creditMemo.posted')).length, 1, 'and posted');
    assert.equal((await ledger(u.erpLegacy, 'creditMemo.voided')).length, 0);
    assert.equal((await ledger(u.erpCloud, 'returnAuthorization.created')).length, 1);
    assert.equal((await ledger(u.salesforce, 'Customer_Adjustment__c.created')).length, 1);

    // The payment refund ran again on the new worker (attempt 2) with the same key; the provider replayed its answer.
    const history = await handle.fetchHistory();
    const scheduled = history.events!.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && e.activityTaskScheduledEventAttributes?.activityType?.name === 'refundPayment')!;
    const started = history.events!.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED && Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled.eventId))!;
    assert.ok((started.activityTaskStartedEventAttributes?.attempt ?? 0) >= 2, 'the refund was retried after the crash');
    assert.ok(recoveredInMs < 40_000, `recovered in ${recoveredInMs} ms: the heartbeat timeout, not the start-to-close timeout`);
  });
});

/** Until the refundPayment activity has been picked up by a worker (its HTTP call is then under way). */
async function refundInFlight(handle: WorkflowHandle, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { raw } = await handle.describe();
    const pending = raw.pendingActivities?.find((a) => a.activityType?.name === 'refundPayment');
    if (pending?.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the payment refund never started');
}
