import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Sandbox } from '../../sandbox';
import { buildActivities } from '../../src/activities';
import type { Config } from '../../src/config';
import { createWorkers } from '../../src/workers/workers';
import { systemCheck } from '../../src/workflows';
import type { SystemCheckInput, SystemCheckReport } from '../../src/workflows/system-check';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, runWorkersUntil, testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { systemQueuesOf } from './fake-activities';

/** The real worker set (every sys-* queue, real connectors) against the sandbox enterprise. */
describe('systemCheck through the real workers and connectors', function () {
  this.timeout(90_000);
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;
  let sandbox: Sandbox;
  let input: Omit<SystemCheckInput, 'taskQueues'>;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    [env, workflowBundle, sandbox] = await Promise.all([getTestEnv(), getWorkflowBundle(), startTestSandbox()]);
    // A consistent slice of the seeded world: the first case, its order, that order's payment and parcel.
    const world = sandbox.world();
    const kase = world.cases[0];
    const order = world.orders.find((o) => o.orderNumber === kase.orderNumber)!;
    const shipment = world.shipments.find((s) => s.orderNumber === order.orderNumber && s.trackingNumber) ?? world.shipments[0];
    input = { caseNumber: kase.caseNumber, orderNumber: order.orderNumber, paymentId: order.paymentId, trackingNumber: shipment.trackingNumber };
  });

  after(async () => {
    await sandbox?.close();
  });

  afterEach(async () => {
    await Promise.all(Object.values(sandbox.urls).map((url) => admin(url!).clearFaults()));
  });

  async function runCheck(): Promise<SystemCheckReport> {
    const config: Config = configFor(sandbox, isolatedQueueEnv('check'));
    const activities = buildActivities(config);
    try {
      const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities });
      return await runWorkersUntil(workers, () =>
        env.client.workflow.execute(systemCheck, {
          taskQueue: config.taskQueues.orchestration,
          workflowId: uniqueName('system-check'),
          args: [{ ...input, taskQueues: systemQueuesOf(config) }],
        }),
      );
    } finally {
      await activities.close();
    }
  }

  const result = (report: SystemCheckReport, system: string) => report.systems.find((s) => s.system === system)!;

  it('reads the seeded case, order, shipments, tracking and payment from each system queue', async () => {
    const report = await runCheck();
    const failures = report.systems.filter((s) => !s.ok).map((s) => `${s.system}: ${s.errorType} ${s.message}`);
    assert.deepEqual(failures, []);
    assert.equal(report.ok, true);
    assert.deepEqual(report.systems.map((s) => s.system).sort(), ['carrier', 'erp', 'payments', 'salesforce', 'warehouse']);

    const data = (system: string) => result(report, system).data as Record<string, unknown>;
    assert.equal(data('salesforce').caseNumber, input.caseNumber);
    assert.equal(data('erp').orderNumber, input.orderNumber);
    assert.equal(data('payments').paymentId, input.paymentId);
    assert.equal(data('carrier').trackingNumber, input.trackingNumber);
    const shipments = result(report, 'warehouse').data as { orderNumber: string; trackingNumber: string }[];
    assert.ok(shipments.some((s) => s.orderNumber === input.orderNumber && s.trackingNumber === input.trackingNumber));
    for (const s of report.systems) assert.ok(s.latencyMs >= 0);
  });

  it('reports an outage of one system as that system\'s failure type, the others still ok', async () => {
    await admin(sandbox.urls.payments!).fault({ kind: 'outage', durationMs: 60_000 });
    const report = await runCheck();
    assert.equal(report.ok, false);
    const payments = result(report, 'payments');
    assert.equal(payments.ok, false);
    assert.equal(payments.errorType, 'DownstreamUnavailableError');
    for (const system of ['salesforce', 'erp', 'warehouse', 'carrier']) assert.equal(result(report, system).ok, true, `${system} should be unaffected`);
  });
});
