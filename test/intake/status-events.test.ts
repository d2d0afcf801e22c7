import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import avro from 'avsc';
import type { Sandbox } from '../../sandbox';
import { buildActivities } from '../../src/activities';
import { policySourceOf } from '../../src/config/policy';
import { createWorkers } from '../../src/workers/workers';
import { caseResolution } from '../../src/workflows';
import { workflowIds } from '../../src/workflows/lib/case-context';
import { openSubscription, pubSubClient, pubSubMetadata, unary } from '../helpers/pubsub';
import { configFor, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, runWorkersUntil, testEnvTimeoutMs } from '../helpers/temporal';
import { systemQueuesOf } from '../workers/fake-activities';
import { openCase } from '../workflows/case-resolution-world';

const STATUS = '/event/Case_Process_Status__e';

/** What an agent's Lightning page sees: Case_Process_Status__e, live, while a case resolution and its refund run. */
describe('case process status events over the Pub/Sub API', function () {
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

  it('publishes each milestone of the resolution and its refund once, keyed by workflow and stage', async () => {
    const kase = openCase(sandbox, '00010021');
    const { metadata } = await pubSubMetadata(sandbox.urls.salesforce!);
    const client = pubSubClient(sandbox.pubsub!.address);
    const sub = openSubscription(client, metadata);
    sub.fetch({ topic_name: STATUS, replay_preset: 'LATEST', num_requested: 100 });

    const config = configFor(sandbox, isolatedQueueEnv('status'));
    const activities = buildActivities(config, { policy: policySourceOf({}) });
    try {
      const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities });
      const summary = await runWorkersUntil(workers, async () => {
        const handle = await env.client.workflow.start(caseResolution, {
          taskQueue: config.taskQueues.orchestration,
          workflowId: workflowIds.caseResolution(kase.caseNumber),
          args: [{ caseNumber: kase.caseNumber, policy: { approvalThreshold: { default: 10_000_000 } }, taskQueues: systemQueuesOf(config) }],
        });
        return handle.result();
      });
      assert.equal(summary.outcome, 'refunded');

      const topic = await unary<{ schema_id: string }>(client, 'GetTopic', { topic_name: STATUS }, metadata);
      const schema = await unary<{ schema_json: string }>(client, 'GetSchema', { schema_id: topic.schema_id }, metadata);
      const type = avro.Type.forSchema(JSON.parse(schema.schema_json) as avro.Schema);
      await new Promise((r) => setTimeout(r, 300));
      const seen = sub.events().map((e) => type.fromBuffer(e.event.payload) as Record<string, string | null>).filter((e) => e.Case_Number__c === kase.caseNumber);
      const stages = seen.map((e) => `${e.Process__c}:${e.Stage__c}`);
      assert.deepEqual(stages.filter((s) => s.startsWith('case-resolution:')), ['case-resolution:working', 'case-resolution:decided', 'case-resolution:closed']);
      assert.ok(stages.includes('refund:started') && stages.includes('refund:refunded'), stages.join(', '));
      // Live order: the refund's milestones come between the decision and the close.
      assert.ok(stages.indexOf('refund:refunded') > stages.indexOf('case-resolution:decided') && stages.indexOf('refund:refunded') < stages.indexOf('case-resolution:closed'));
      assert.equal(seen.find((e) => e.Stage__c === 'closed')?.Outcome__c, 'refund');
      const keys = seen.map((e) => e.Event_Key__c);
      assert.equal(new Set(keys).size, keys.length, 'one event per milestone');
      assert.ok(keys.includes(`${workflowIds.caseResolution(kase.caseNumber)}:status:working`.replace(/[^A-Za-z0-9:._-]/g, ':')));
    } finally {
      await activities.close();
      sub.close();
      client.close();
    }
  });
});
