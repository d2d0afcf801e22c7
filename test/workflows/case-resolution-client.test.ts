import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Sandbox } from '../../sandbox';
import { buildActivities } from '../../src/activities';
import { approveRefund, cancelProcess, chooseResolution, describeProcess, ProcessClosedError, ProcessNotFoundError, startCaseResolution } from '../../src/client';
import { policySourceOf } from '../../src/config/policy';
import { createWorkers } from '../../src/workers/workers';
import type { CaseResolutionState } from '../../src/workflows/case-resolution';
import { workflowIds } from '../../src/workflows/lib/case-context';
import { configFor, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, runWorkersUntil, testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { systemQueuesOf } from '../workers/fake-activities';
import { eventually, openCase } from './case-resolution-world';

/** The reusable client functions (HTTP API, retailctl) against the dev server and the real workers. */
describe('process client functions', function () {
  this.timeout(60_000);
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

  it('starts a case once: a second start returns the running run, and after it closed no second run is started', async () => {
    const kase = openCase(sandbox, '00010025');
    const config = configFor(sandbox, isolatedQueueEnv('client'));
    const activities = buildActivities(config, { policy: policySourceOf({}) });
    const options = {
      caseNumber: kase.caseNumber,
      taskQueue: config.taskQueues.orchestration,
      // Outside the refund window: the case waits for an agent, then closes without action.
      policy: { agentChoiceTimeout: '1 second' },
      taskQueues: systemQueuesOf(config),
      known: { orderNumber: kase.orderNumber },
    } as const;
    try {
      const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities });
      await runWorkersUntil(workers, async () => {
        const first = await startCaseResolution(env.client, options);
        const second = await startCaseResolution(env.client, options);
        assert.equal(first.workflowId, workflowIds.caseResolution(kase.caseNumber));
        assert.deepEqual([first.existing, second.existing], [false, true]);
        assert.equal(second.runId, first.runId, 'the running one is returned');

        const running = await eventually(async () => {
          const d = await describeProcess(env.client, first.workflowId);
          return d.stage === 'awaiting-agent' ? d : undefined;
        });
        assert.deepEqual([running.type, running.status, running.runId], ['caseResolution', 'RUNNING', first.runId]);
        assert.equal((running.state as CaseResolutionState).caseNumber, kase.caseNumber);
        assert.equal(running.searchAttributes.CaseNumber, kase.caseNumber);
        assert.equal(running.searchAttributes.OrderNumber, kase.orderNumber);
        assert.ok(running.searchAttributes.StoreId, 'the workflow added what the starter did not know');

        await env.client.workflow.getHandle(first.workflowId).result();
        const again = await startCaseResolution(env.client, options);
        assert.deepEqual(again, { workflowId: first.workflowId, runId: first.runId, existing: true, status: 'COMPLETED' });

        const closed = await describeProcess(env.client, first.workflowId);
        assert.equal(closed.status, 'COMPLETED');
        assert.equal((closed.state as CaseResolutionState).outcome, 'no-action', 'a closed process still answers its state');
        await assert.rejects(chooseResolution(env.client, kase.caseNumber, { resolution: 'refund', agent: 'ana' }), ProcessClosedError);
      });
    } finally {
      await activities.close();
    }
  });

  it('reports an unknown process as ProcessNotFoundError', async () => {
    const unknown = uniqueName('case-resolution/none');
    await assert.rejects(describeProcess(env.client, unknown), (err: unknown) => err instanceof ProcessNotFoundError && err.type === 'ProcessNotFoundError' && err.workflowId === unknown);
    await assert.rejects(cancelProcess(env.client, unknown, 'test'), ProcessNotFoundError);
    await assert.rejects(approveRefund(env.client, uniqueName('none'), { approver: 'sam' }), ProcessNotFoundError);
  });
});
