import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { configFromEnv } from '../../src/config';
import { createWorkers } from '../../src/workers/workers';
import { systemCheck } from '../../src/workflows';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, runWorkersUntil, testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { checkInput, fakeActivities, systemQueuesOf } from './fake-activities';
import { testCodecEnv } from '../helpers/codec';

describe('system queue rate limit (maxTaskQueueActivitiesPerSecond)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    env = await getTestEnv();
    workflowBundle = await getWorkflowBundle();
  });

  /** Runs `count` system checks at once and returns how far apart the first and last ERP activity started. */
  async function erpStartSpread(rateLimit: string, count: number): Promise<number> {
    const config = configFromEnv({ ...testCodecEnv, ...isolatedQueueEnv('rate'), RATE_LIMIT_ERP: rateLimit, LOG_LEVEL: 'warn' });
    const starts: number[] = [];
    const activities = fakeActivities({
      erp: {
        getOrder: async (orderNumber: string) => {
          starts.push(Date.now());
          return { orderNumber };
        },
      },
    });
    const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities });
    await runWorkersUntil(workers, () =>
      Promise.all(
        Array.from({ length: count }, () =>
          env.client.workflow.execute(systemCheck, {
            taskQueue: config.taskQueues.orchestration,
            workflowId: uniqueName('rate-check'),
            args: [{ ...checkInput, taskQueues: systemQueuesOf(config) }],
          }),
        ),
      ),
    );
    assert.equal(starts.length, count);
    return Math.max(...starts) - Math.min(...starts);
  }

  it('spaces activity starts on a system queue to the configured rate, across the whole queue', async () => {
    // 10 starts at 2/s (a burst of 2) need ~4 s; unlimited they start together.
    const limited = await erpStartSpread('2', 10);
    const unlimited = await erpStartSpread('1000', 10);
    assert.ok(limited >= 3_000, `10 activities at 2/s started within ${limited} ms`);
    assert.ok(unlimited < limited / 2, `unlimited spread ${unlimited} ms vs limited ${limited} ms`);
  });
});
