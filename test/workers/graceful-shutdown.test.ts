import assert from 'node:assert/strict';
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { configFromEnv } from '../../src/config';
import { createWorkers, shutdownWorkers } from '../../src/workers/workers';
import { systemCheck } from '../../src/workflows';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { checkInput, fakeActivities, systemQueuesOf } from './fake-activities';
import { testCodecEnv } from '../helpers/codec';

describe('worker graceful shutdown', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    env = await getTestEnv();
    workflowBundle = await getWorkflowBundle();
  });

  it('lets an in-flight activity finish and report before the worker stops', async () => {
    const config = configFromEnv({ ...testCodecEnv, ...isolatedQueueEnv('drain'), WORKER_SHUTDOWN_GRACE_MS: '10000', LOG_LEVEL: 'warn' });
    let markStarted!: () => void;
    const activityStarted = new Promise<void>((resolve) => (markStarted = resolve));
    let finishedAt = 0;
    const activities = fakeActivities({
      erp: {
        getOrder: async (orderNumber: string) => {
          markStarted();
          await new Promise((r) => setTimeout(r, 2_000));
          finishedAt = Date.now();
          return { orderNumber, attempt: Context.current().info.attempt };
        },
      },
    });
    const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities });
    const erpWorker = workers.find((w) => w.options.taskQueue === config.taskQueues.erp)!;
    const runs = new Map(workers.map((w) => [w, w.run()]));
    try {
      const handle = await env.client.workflow.start(systemCheck, {
        taskQueue: config.taskQueues.orchestration,
        workflowId: uniqueName('drain-check'),
        args: [{ ...checkInput, taskQueues: systemQueuesOf(config) }],
      });
      await activityStarted;
      erpWorker.shutdown();
      await runs.get(erpWorker);
      const stoppedAt = Date.now();
      assert.ok(finishedAt > 0 && stoppedAt >= finishedAt, 'the worker stopped before its activity finished');

      const report = await handle.result();
      const erp = report.systems.find((s) => s.system === 'erp')!;
      assert.equal(erp.ok, true, `erp check failed: ${erp.errorType}`);
      assert.deepEqual(erp.data, { orderNumber: checkInput.orderNumber, attempt: 1 });
    } finally {
      shutdownWorkers(workers);
      await Promise.all(runs.values());
    }
  });
});
