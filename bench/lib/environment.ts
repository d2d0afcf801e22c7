import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type Worker as WorkerType } from '@temporalio/worker';
import { startSandbox, type Sandbox } from '../../sandbox';
import type { WorldOptions } from '../../sandbox/seed/world';
import { resolveTemporalBinary } from '../../scripts/temporal-cli';
import { dynamicConfigArgs, sqlitePragmaArgs } from '../../temporal-config/dev-server';
import { searchAttributes } from '../../temporal-config/search-attributes';
import { buildActivities, type SystemActivities } from '../../src/activities';
import { configFromEnv, type Config } from '../../src/config';
import { bundleWorkflows } from '../../src/workers/bundle';
import { createWorkers, shutdownWorkers } from '../../src/workers/workers';

/**
 * One measuring ground: a dev server from the project's CLI (or TEMPORAL_ADDRESS), the sandbox in
 * this process, the production workers with real connectors, and a baseline worker that runs the
 * bare workflow with no-op activities on the same server.
 */
export interface BenchEnvironment {
  env: TestWorkflowEnvironment;
  sandbox: Sandbox;
  config: Config;
  bareQueue: string;
  close: () => Promise<void>;
}

export async function startBenchEnvironment(options: { world?: WorldOptions; env?: Record<string, string> } = {}): Promise<BenchEnvironment> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = process.env.TEMPORAL_ADDRESS
    ? await TestWorkflowEnvironment.createFromExistingServer({ address: process.env.TEMPORAL_ADDRESS, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' })
    : await TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'existing-path', path: await resolveTemporalBinary({ log: (l) => console.error(`[temporal-cli] ${l}`) }) },
          ip: '127.0.0.1',
          ui: false,
          searchAttributes,
          extraArgs: [...sqlitePragmaArgs(), ...dynamicConfigArgs(), '--log-level', 'error'],
        },
      });
  const sandbox = await startSandbox({ host: '127.0.0.1', ports: { salesforce: 0, erpCloud: 0, erpLegacy: 0, warehouse: 0, payments: 0, carrier: 0 }, world: options.world });
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const u = sandbox.urls;
  const config = configFromEnv({
    TASK_QUEUE_ORCHESTRATION: `bench-${run}-orchestration`,
    TASK_QUEUE_SALESFORCE: `bench-${run}-sys-salesforce`,
    TASK_QUEUE_ERP: `bench-${run}-sys-erp`,
    TASK_QUEUE_WAREHOUSE: `bench-${run}-sys-warehouse`,
    TASK_QUEUE_PAYMENTS: `bench-${run}-sys-payments`,
    SALESFORCE_LOGIN_URL: u.salesforce!,
    ERP_CLOUD_URL: u.erpCloud!,
    ERP_LEGACY_URL: u.erpLegacy!,
    WAREHOUSE_URL: u.warehouse!,
    PAYMENTS_URL: u.payments!,
    CARRIER_URL: u.carrier!,
    LOG_LEVEL: 'error',
    ...options.env,
  });
  const bareQueue = `bench-${run}-bare`;
  const activities: SystemActivities = buildActivities(config);
  const workers: WorkerType[] = [
    ...(await createWorkers(config, { connection: env.nativeConnection, workflowBundle: await bundleWorkflows(new DefaultLogger('ERROR')), activities })),
    await Worker.create({
      connection: env.nativeConnection,
      taskQueue: bareQueue,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows/bare'), logger: new DefaultLogger('ERROR') }),
      activities: { noop: async () => undefined },
    }),
  ];
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    env,
    sandbox,
    config,
    bareQueue,
    close: async () => {
      shutdownWorkers(workers);
      await running;
      activities.close();
      await sandbox.close();
      await env.teardown();
    },
  };
}
