import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, type Worker } from '@temporalio/worker';
import { buildActivities } from '../../src/activities';
import { describeDeployment, makeCurrentOnceRegistered, versionExists } from '../../src/client/versions';
import { failureConverterPath } from '../../src/temporal/payload-codec';
import { bundleWorkflows, defaultBundleTelemetry } from '../../src/workers/bundle';
import { buildIdOf } from '../../src/workers/versioning';
import { createWorkers, shutdownWorkers } from '../../src/workers/workers';
import { approveRefundUpdate, type refund } from '../../src/workflows/refund';
import { configFor } from '../helpers/sandbox';
import { supervisorFor } from '../helpers/users';
import { getWorkflowBundle, isolatedQueueEnv, uniqueName } from '../helpers/temporal';
import { systemQueuesOf } from '../workers/fake-activities';
import { alwaysApproval, effects, noApproval, paidByCard, pickCase, refundInput, useRefundFixture, waitForStage, type RefundFixture } from './refund-harness';

/**
 * Worker Deployment Versioning on the real server: refunds started on build A and waiting for
 * approval finish on A after build B (a changed refund workflow) becomes current, while new refunds
 * run on B; A then reports drained. Without pinning, the waiting refunds would fail on B's code.
 */
describe('worker deployment versioning: a changed refund workflow deployed under running refunds', function () {
  this.timeout(180_000);
  let fx: RefundFixture;
  useRefundFixture((current) => (fx = current));

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe().catch(() => undefined);
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const buildIdOfRun = async (handle: WorkflowHandle) => (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId;

  it('pins waiting refunds to build A, starts new ones on build B, and reports A drained once they finish', async () => {
    const deploymentName = uniqueName('retail-versions');
    const config = configFor(fx.sandbox, { ...isolatedQueueEnv('versions'), WORKER_DEPLOYMENT_NAME: deploymentName });
    const activities = buildActivities(config);
    const bundleA = await getWorkflowBundle(defaultBundleTelemetry);
    const bundleB = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/workflows-changed-refund'), failureConverterPath, logger: new DefaultLogger('WARN') });
    const [buildA, buildB] = [buildIdOf(bundleA), buildIdOf(bundleB)];
    assert.notEqual(buildA, buildB, 'a changed workflow is a new build');
    assert.equal(buildIdOf(await bundleWorkflows(new DefaultLogger('WARN'))), buildA, 'the same code bundled again is the same build');

    // Each refund its own case and order: a payment is refunded once.
    const used = new Set<string>();
    const start = (policy: object) => {
      const { ctx } = pickCase(fx.sandbox, (o, w) => paidByCard(o, w) && o.currency === 'USD' && !used.has(o.orderNumber));
      used.add(ctx.orderNumber);
      return fx.env.client.workflow.start<typeof refund>('refund', {
        taskQueue: config.taskQueues.orchestration,
        workflowId: uniqueName('refund/versioned'),
        args: [{ ...refundInput(ctx, false, { policy }), taskQueues: systemQueuesOf(config) }],
      });
    };

    const workers: Worker[] = [];
    const running: Promise<void>[] = [];
    const run = async (workflowBundle: typeof bundleA, queues = 'orchestration,salesforce,erp,warehouse,payments') => {
      const set = await createWorkers({ ...config, worker: { ...config.worker, taskQueues: queues.split(',') as typeof config.worker.taskQueues } }, { connection: fx.env.nativeConnection, workflowBundle, activities });
      workers.push(...set);
      running.push(...set.map((w) => w.run()));
    };
    try {
      await run(bundleA);
      await until('build A to register', async () => ((await versionExists(fx.env.client, deploymentName, buildA)) ? true : undefined));
      await makeCurrentOnceRegistered(fx.env.client, deploymentName, buildA);

      const waiting = [await start(alwaysApproval), await start(alwaysApproval)];
      for (const handle of waiting) await waitForStage(handle, 'awaiting-approval', 60_000);
      for (const handle of waiting) assert.equal(await buildIdOfRun(handle), buildA);

      // The new build's workflow worker; the system queues' workers serve both builds.
      await run(bundleB, 'orchestration');
      await until('build B to register', async () => ((await versionExists(fx.env.client, deploymentName, buildB)) ? true : undefined));
      await makeCurrentOnceRegistered(fx.env.client, deploymentName, buildB);

      const fresh = await start(noApproval);
      assert.equal((await fresh.result()).status, 'refunded');
      assert.equal(await buildIdOfRun(fresh), buildB, 'new refunds run on the current build');
      const freshEvents = (await fresh.fetchHistory()).events ?? [];
      assert.ok(freshEvents.some((e) => e.timerStartedEventAttributes), 'build B ran its changed code');

      const supervisor = supervisorFor(fx.sandbox, 'USD');
      for (const handle of waiting) await handle.executeUpdate(approveRefundUpdate, { args: [{ decision: 'approve', approver: supervisor }] });
      for (const handle of waiting) {
        assert.equal((await handle.result()).status, 'refunded');
        assert.equal(await buildIdOfRun(handle), buildA, 'a waiting refund finished on the build it started on');
      }
      assert.equal((await effects(fx.sandbox.urls.payments, 'refund.created')).length, 3);

      const drained = await until(
        'build A to report drained',
        async () => {
          const version = (await describeDeployment(fx.env.client, deploymentName)).versions.find((v) => v.buildId === buildA);
          return version?.drainage === 'drained' ? version : undefined;
        },
        90_000,
      );
      assert.equal(drained.status, 'drained');
      const deployment = await describeDeployment(fx.env.client, deploymentName);
      assert.equal(deployment.currentBuildId, buildB);
    } finally {
      shutdownWorkers(workers);
      await Promise.allSettled(running);
      await activities.close();
    }
  });
});
