import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Sandbox } from '../../sandbox';
import { billableActions } from '../../bench/lib/actions';
import { buildActivities } from '../../src/activities';
import { policySourceOf } from '../../src/config/policy';
import { createWorkers } from '../../src/workers/workers';
import { caseResolution } from '../../src/workflows';
import { workflowIds } from '../../src/workflows/lib/case-context';
import { Stage } from '../../src/workflows/search-attributes';
import { configFor, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, runWorkersUntil, testEnvTimeoutMs } from '../helpers/temporal';
import { systemQueuesOf } from '../workers/fake-activities';
import { caseLedger, openCase } from './case-resolution-world';

/** What a case resolution with its refund costs on Temporal Cloud, counted from the real histories. */
describe('billable actions of a case resolution and its refund', function () {
  this.timeout(120_000);
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

  it('stays within 10 per refund and 24 with the case resolution, Stage only at the outcome, every milestone on the Case', async () => {
    const kase = openCase(sandbox, '00010021');
    const config = configFor(sandbox, isolatedQueueEnv('actions'));
    const activities = buildActivities(config, { policy: policySourceOf({}) });
    try {
      const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities });
      const caseId = workflowIds.caseResolution(kase.caseNumber);
      const summary = await runWorkersUntil(workers, async () => {
        const handle = await env.client.workflow.start(caseResolution, {
          taskQueue: config.taskQueues.orchestration,
          workflowId: caseId,
          args: [{ caseNumber: kase.caseNumber, policy: { approvalThreshold: { default: 10_000_000 } }, taskQueues: systemQueuesOf(config) }],
        });
        return handle.result();
      });
      assert.equal(summary.outcome, 'refunded');

      const refundId = workflowIds.refund(kase.caseNumber);
      const refund = billableActions((await env.client.workflow.getHandle(refundId).fetchHistory()).events ?? []);
      const parent = billableActions((await env.client.workflow.getHandle(caseId).fetchHistory()).events ?? []);
      assert.ok(refund.total <= 10, `refund: ${JSON.stringify(refund)}`);
      assert.ok(parent.total + refund.total <= 24, `case resolution: ${JSON.stringify(parent)}; refund: ${JSON.stringify(refund)}`);
      assert.equal(refund.byKind['search attribute upsert'], 1, 'the refund upserts Stage once, at its outcome');

      // The outcome is still what the Stage filter finds.
      const [refundDescription, caseDescription] = await Promise.all([env.client.workflow.getHandle(refundId).describe(), env.client.workflow.getHandle(caseId).describe()]);
      assert.deepEqual([refundDescription.typedSearchAttributes.get(Stage), caseDescription.typedSearchAttributes.get(Stage)], ['refunded', 'closed']);

      // Fewer calls, the same milestones: Working, the decision, the refund's notes and resolution, Closed.
      const ledger = await caseLedger(sandbox, kase.caseId);
      assert.deepEqual([ledger.updates[0].Status, ledger.updates.at(-1)!.Status], ['Working', 'Closed']);
      assert.ok(ledger.updates.some((u) => u.Resolution__c && !u.Status), 'the refund set the resolution');
      for (const note of ['Decision: refund by policy', 'Refund of', 'Refunded']) assert.equal(ledger.comments.filter((c) => c.includes(note)).length, 1, note);
    } finally {
      await activities.close();
    }
  });
});
