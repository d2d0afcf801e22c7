import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Worker, type Worker as WorkerType } from '@temporalio/worker';
import type { Sandbox } from '../../sandbox';
import type { WorldOptions } from '../../sandbox/seed/world';
import { buildActivities, type SystemActivities } from '../../src/activities';
import type { Config } from '../../src/config';
import { configFor, startTestSandbox } from '../../test/helpers/sandbox';
import { startSandboxProcess, type SandboxProcess } from './sandbox-process';
import { getTestEnv, teardownTestEnv } from '../../test/helpers/temporal';
import { currentTracing } from '../../src/observability/tracing';
import { bundleWorkflows } from '../../src/workers/bundle';
import { createWorkers, shutdownWorkers } from '../../src/workers/workers';
import { dataConverterFor, failureConverterPath } from '../../src/temporal/payload-codec';

/**
 * One measuring ground (the test harness's): a dev server from the project's CLI (or TEMPORAL_ADDRESS), the sandbox in
 * this process, the production workers with real connectors, and a baseline worker that runs the
 * bare workflow with no-op activities on the same server.
 */
export interface BenchEnvironment {
  env: TestWorkflowEnvironment;
  /** In this process, or with `sandboxProcess` in a child process of its own (then with its pid). */
  sandbox: Pick<Sandbox, 'urls' | 'world' | 'close'> & Partial<Pick<Sandbox, 'systems'>> & { pubsub?: { address: string }; pid?: SandboxProcess['pid'] };
  config: Config;
  bareQueue: string;
  /** With `clearToo`: the same workers on queues of their own with payload encryption off, and a client without the codec. */
  clear?: { config: Config; client: Client };
  /** With `telemetryOffToo`: the same workers on queues of their own with BUSINESS_TELEMETRY=off (bundle without interceptors). */
  telemetryOff?: { config: Config };
  close: () => Promise<void>;
}

export async function startBenchEnvironment(options: { world?: WorldOptions; env?: Record<string, string>; clearToo?: boolean; telemetryOffToo?: boolean; sandboxProcess?: boolean } = {}): Promise<BenchEnvironment> {
  const [env, sandbox] = await Promise.all([getTestEnv(), options.sandboxProcess ? startSandboxProcess(options.world) : startTestSandbox(undefined, {}, options.world)]);
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const config = configFor(sandbox, {
    // The workers poll the namespace the client starts in (TEMPORAL_NAMESPACE on a shared server).
    TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    TASK_QUEUE_ORCHESTRATION: `bench-${run}-orchestration`,
    TASK_QUEUE_SALESFORCE: `bench-${run}-sys-salesforce`,
    TASK_QUEUE_ERP: `bench-${run}-sys-erp`,
    TASK_QUEUE_WAREHOUSE: `bench-${run}-sys-warehouse`,
    TASK_QUEUE_PAYMENTS: `bench-${run}-sys-payments`,
    LOG_LEVEL: 'error',
    ...options.env,
  });
  const bareQueue = `bench-${run}-bare`;
  const activities: SystemActivities = buildActivities(config);
  // With tracing's interceptor when the bench installed tracing, as the worker does.
  const workflowBundle = await bundleWorkflows(new DefaultLogger('ERROR'), undefined, { business: true, tracing: currentTracing() !== undefined });
  // The same workers again on queues of their own, with one setting changed.
  const sideConfig = (name: string, change: Record<string, string>) =>
    configFor(sandbox, {
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      ...Object.fromEntries(['ORCHESTRATION', 'SALESFORCE', 'ERP', 'WAREHOUSE', 'PAYMENTS'].map((q) => [`TASK_QUEUE_${q}`, `bench-${run}-${name}-${q.toLowerCase()}`])),
      LOG_LEVEL: 'error',
      ...options.env,
      ...change,
    });
  const clearConfig = options.clearToo ? sideConfig('clear', { PAYLOAD_ENCRYPTION: 'off' }) : undefined;
  const offConfig = options.telemetryOffToo ? sideConfig('untraced', { BUSINESS_TELEMETRY: 'off' }) : undefined;
  const workers: WorkerType[] = [
    ...(await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities })),
    ...(clearConfig ? await createWorkers(clearConfig, { connection: env.nativeConnection, workflowBundle, activities }) : []),
    ...(offConfig ? await createWorkers(offConfig, { connection: env.nativeConnection, workflowBundle: await bundleWorkflows(new DefaultLogger('ERROR'), undefined, { business: false, tracing: false }), activities }) : []),
    await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: bareQueue,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows/bare'), failureConverterPath, logger: new DefaultLogger('ERROR') }),
      activities: { noop: async () => undefined },
      // The same sealed payloads as the product's workers, so the ratio compares workflow work alone.
      dataConverter: dataConverterFor(config.payloadCodec),
    }),
  ];
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    env,
    sandbox,
    config,
    bareQueue,
    clear: clearConfig && { config: clearConfig, client: new Client({ connection: env.connection, namespace: env.namespace ?? 'default', dataConverter: dataConverterFor(clearConfig.payloadCodec) }) },
    telemetryOff: offConfig && { config: offConfig },
    close: async () => {
      shutdownWorkers(workers);
      await running;
      await activities.close();
      await sandbox.close();
      await teardownTestEnv();
    },
  };
}
