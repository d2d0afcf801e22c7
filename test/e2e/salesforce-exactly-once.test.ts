import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Sandbox } from '../../sandbox';
import { buildActivities } from '../../src/activities';
import { createWorkers } from '../../src/workers/workers';
import type { refund, RefundResult } from '../../src/workflows/refund';
import { admin, configFor, sandboxUrlEnv, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, runWorkersUntil, testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { systemQueuesOf } from '../workers/fake-activities';
import { noApproval, refundInput, paidByCard, pickCase } from '../workflows/refund-harness';

const { EventType, PendingActivityState } = temporal.api.enums.v1;

/** The marker the connector leaves in a CaseComment's body, one per milestone. */
const MARKER = /\[ro:[0-9a-f]{16}\]/;

/** Milestone comments on one case, grouped by marker: every group must hold exactly one comment. */
async function commentsByMilestone(salesforceUrl: string, caseId: string): Promise<Map<string, number>> {
  const comments = (await admin(salesforceUrl).ledger({ kind: 'CaseComment.created' })).entries.filter((e) => e.data?.ParentId === caseId);
  const groups = new Map<string, number>();
  for (const c of comments) {
    const marker = MARKER.exec(String(c.data?.CommentBody))?.[0] ?? '(no marker)';
    groups.set(marker, (groups.get(marker) ?? 0) + 1);
  }
  return groups;
}

/** The highest attempt of each activity type in a finished workflow's history. */
async function attemptsByActivity(handle: WorkflowHandle): Promise<Map<string, number>> {
  const events = (await handle.fetchHistory()).events ?? [];
  const typeOf = new Map<number, string>();
  const attempts = new Map<string, number>();
  for (const e of events) {
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) typeOf.set(Number(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      const type = typeOf.get(Number(e.activityTaskStartedEventAttributes?.scheduledEventId)) ?? '';
      attempts.set(type, Math.max(attempts.get(type) ?? 0, e.activityTaskStartedEventAttributes?.attempt ?? 0));
    }
  }
  return attempts;
}

/**
 * Salesforce has no idempotency header: when a write commits but its answer is lost (the activity
 * times out, or the worker dies waiting), the retry must find what the first attempt wrote. Each
 * refund milestone leaves exactly one CaseComment, and the refund exactly one adjustment.
 */
describe('Salesforce write-backs exactly once when the answer is lost', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let sandbox: Sandbox;
  /** Each test takes its own case, so the ledgers it reads are its own. */
  const used = new Set<string>();
  const freshCase = () => {
    const picked = pickCase(sandbox, (o, w) => paidByCard(o, w) && !used.has(o.orderNumber));
    used.add(picked.order.orderNumber);
    return picked.ctx;
  };

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    [env, sandbox] = await Promise.all([getTestEnv(), startTestSandbox()]);
  });
  after(async () => {
    await sandbox?.close();
  });

  it('activities that time out after the write: one CaseComment per milestone, one adjustment', async () => {
    const sf = sandbox.urls.salesforce!;
    // Every first comment and the adjustment commit, then answer after the connector gave up (800 ms).
    await admin(sf).fault({ kind: 'slow-response', method: 'POST', path: '/services/data/*/sobjects/CaseComment', latencyMs: 2_000, count: 20 });
    await admin(sf).fault({ kind: 'slow-response', method: 'PATCH', path: '/services/data/*/sobjects/Customer_Adjustment__c', latencyMs: 2_000, count: 1 });
    const config = configFor(sandbox, { ...isolatedQueueEnv('sf-once'), DOWNSTREAM_TIMEOUT_MS: '800', BREAKER_VOLUME: '1000' });
    const activities = buildActivities(config);
    const ctx = freshCase();
    try {
      const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle: await getWorkflowBundle(), activities });
      const handle = await env.client.workflow.start<typeof refund>('refund', {
        taskQueue: config.taskQueues.orchestration,
        workflowId: uniqueName('refund/sf-once'),
        args: [{ ...refundInput(ctx, false, { policy: noApproval }), taskQueues: systemQueuesOf(config) }],
      });
      const result: RefundResult = await runWorkersUntil(workers, () => handle.result());
      assert.equal(result.status, 'refunded');

      const milestones = await commentsByMilestone(sf, ctx.caseId);
      assert.ok(milestones.size >= 2, `milestone comments: ${[...milestones.keys()].join(', ')}`);
      for (const [marker, count] of milestones) assert.equal(count, 1, `milestone ${marker} commented ${count} times`);
      // A request whose client gave up never finishes its response, so the fault's own count says how many POSTs came.
      const faults = (await (await fetch(`${sf}/__sandbox/faults`)).json()) as { faults: { path?: string; fired: number }[] };
      const posted = faults.faults.find((f) => f.path?.endsWith('/CaseComment'))?.fired;
      assert.equal(posted, milestones.size, 'each milestone was posted once; its retry found it instead of posting again');
      assert.equal((await admin(sf).ledger({ kind: 'Customer_Adjustment__c.created' })).entries.filter((e) => e.data?.Case__c === ctx.caseId).length, 1, 'one adjustment');

      const attempts = await attemptsByActivity(handle);
      // A refund's notes go with their milestone (recordCaseMilestone: note, Case values, status event).
      assert.ok((attempts.get('recordCaseMilestone') ?? 0) >= 2, 'milestone activities were retried after their comment timed out');
      assert.ok((attempts.get('upsertSalesforceAdjustment') ?? 0) >= 2, 'the adjustment was retried after its timeout');
    } finally {
      await admin(sf).clearFaults();
      await activities.close();
    }
  });

  it('a worker killed while the comment\'s answer is on its way: the next worker finds the comment', async () => {
    const u = sandbox.urls;
    const queueEnv = isolatedQueueEnv('sf-crash');
    const config = configFor(sandbox, queueEnv);
    const workers: WorkerProcess[] = [];
    const start = () => {
      const worker = spawnWorkerProcess({ ...queueEnv, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default', ...sandboxUrlEnv(sandbox) });
      workers.push(worker);
      return worker;
    };
    try {
      // The first comment commits at once and answers after 8 s: the worker dies in between.
      await admin(u.salesforce!).fault({ kind: 'slow-response', method: 'POST', path: '/services/data/*/sobjects/CaseComment', latencyMs: 8_000, count: 1 });
      const first = start();
      await first.ready;
      const ctx = freshCase();
      const handle = await env.client.workflow.start<typeof refund>('refund', {
        taskQueue: config.taskQueues.orchestration,
        workflowId: uniqueName('refund/sf-crash'),
        args: [{ ...refundInput(ctx, false, { policy: noApproval }), taskQueues: systemQueuesOf(config) }],
      });
      await untilCommentWritten(u.salesforce!, ctx.caseId, handle);
      await first.kill('SIGKILL');
      const second = start();
      await second.ready;

      const result: RefundResult = await handle.result();
      assert.equal(result.status, 'refunded');
      const milestones = await commentsByMilestone(u.salesforce!, ctx.caseId);
      assert.ok(milestones.size >= 2);
      for (const [marker, count] of milestones) assert.equal(count, 1, `milestone ${marker} commented ${count} times`);
      assert.ok((await attemptsByActivity(handle)).get('recordCaseMilestone')! >= 2, 'the milestone with the comment ran again on the new worker');
    } finally {
      await admin(u.salesforce!).clearFaults();
      for (const worker of workers) await worker.kill('SIGKILL');
    }
  });
});

/** Until the first comment is in Salesforce while its activity is still waiting for the answer. */
async function untilCommentWritten(salesforceUrl: string, caseId: string, handle: WorkflowHandle, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const written = (await admin(salesforceUrl).ledger({ kind: 'CaseComment.created' })).entries.some((e) => e.data?.ParentId === caseId);
    const { raw } = await handle.describe();
    const pending = raw.pendingActivities?.find((a) => a.activityType?.name === 'recordCaseMilestone');
    if (written && pending?.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the first comment was never written while its activity waited');
}
