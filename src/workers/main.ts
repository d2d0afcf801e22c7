import { DefaultLogger } from '@temporalio/worker';
import { buildActivities } from '../activities';
import { configFromEnv, describeConfig, secretValues } from '../config';
import { createLogger, rememberSecrets } from '../observability/logger';
import { installTracing } from '../observability/tracing';
import { createWorkerConnection } from '../temporal/worker-connection';
import { workflowBundleForWorker } from './bundle';
import { installRuntime } from './runtime';
import { deploymentOptionsFor } from './versioning';
import { createWorkers, runWorkers, shutdownWorkers } from './workers';

/** `npm run worker`: every task queue of this deployment in one process, drained on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  // `npm run worker -- --queues orchestration,erp` is WORKER_TASK_QUEUES for one process.
  const flag = process.argv.indexOf('--queues');
  const config = configFromEnv(flag > 0 ? { ...process.env, WORKER_TASK_QUEUES: process.argv[flag + 1] ?? '' } : process.env);
  rememberSecrets(secretValues(config));
  const logger = createLogger({ level: config.log.level, format: config.log.format, context: { component: 'worker' } });
  logger.info('configuration', { config: describeConfig(config) });
  const runtime = installRuntime(config, logger);
  // Before the workers are made: they export workflow and activity spans through it (OTEL_EXPORTER_OTLP_ENDPOINT).
  const tracing = config.worker.businessTelemetry ? installTracing('retail-worker') : undefined;

  const activities = buildActivities(config);
  const connection = await createWorkerConnection(config);
  // Only the bundler's warnings: its webpack statistics say nothing to an operator.
  const bundled = config.worker.taskQueues.includes('orchestration')
    ? await workflowBundleForWorker(new DefaultLogger('WARN', (entry) => runtime.logger.log(entry.level, entry.message, entry.meta)), config.worker.workflowBundleDir, { business: config.worker.businessTelemetry, tracing: tracing !== undefined })
    : undefined;
  const workflowBundle = bundled?.bundle;
  const workers = await createWorkers(config, { connection, workflowBundle, activities });

  let stopping = false;
  const drain = (signal: NodeJS.Signals) => {
    // Ctrl-C may arrive twice (terminal and parent); the first one already started the drain.
    if (stopping) return;
    stopping = true;
    logger.info('draining workers', { signal, graceMs: config.worker.shutdownGraceMs });
    shutdownWorkers(workers);
  };
  process.on('SIGINT', drain);
  process.on('SIGTERM', drain);

  logger.info('worker ready', {
    namespace: config.temporal.namespace,
    taskQueues: config.worker.taskQueues.map((kind) => config.taskQueues[kind]),
    deployment: workflowBundle && deploymentOptionsFor(config, workflowBundle)?.version,
    workflowBundle: bundled?.source,
    businessTelemetry: config.worker.businessTelemetry ? 'on' : 'off',
    metrics: config.worker.metricsPort > 0 ? `http://127.0.0.1:${config.worker.metricsPort}/metrics` : 'off',
  });
  try {
    await runWorkers(workers, logger);
  } finally {
    await activities.close();
    await connection.close();
    await tracing?.shutdown();
  }
  logger.info('worker stopped');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
