import type { Context as ActivityContext } from '@temporalio/activity';
import { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } from '@temporalio/interceptors-opentelemetry';
import { Runtime, Worker, type InjectedSinks, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { Config } from '../config';
import { loadSloConfig } from '../config/slo';
import { createBusinessMetrics } from '../observability/business-metrics';
import { currentTracing } from '../observability/tracing';
import type { Logger } from '../observability/logger';
import { dataConverterFor } from '../temporal/payload-codec';
import { businessActivityInterceptor, businessSinks, silentBusinessSinks } from './business-telemetry';
import { deploymentOptionsFor } from './versioning';

export type SystemQueue = 'salesforce' | 'erp' | 'warehouse' | 'payments';
export const systemQueues: SystemQueue[] = ['salesforce', 'erp', 'warehouse', 'payments'];

export interface WorkerSetOptions {
  connection: NativeConnection;
  /** Needed when this process polls the orchestration queue. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** The activity map served on each system's queue (real connectors in production, fakes in tests). */
  activities: Record<SystemQueue, object> & {
    /** Local activities the workflows call on the orchestration worker itself (the resolution policy). */
    orchestration?: object;
  };
}

/**
 * One Worker per task queue: the orchestration queue runs workflows (and their local activities); each sys-* queue runs one
 * system's activities under the server-enforced rate limit, so a burst queues durably instead of
 * overwhelming that system.
 */
export async function createWorkers(config: Config, { connection, workflowBundle, activities }: WorkerSetOptions): Promise<Worker[]> {
  // One data converter for every queue: activity inputs and results are sealed like workflow payloads.
  // Business metrics go through the SDK's meter, so they share the worker's Prometheus endpoint.
  const telemetry = config.worker.businessTelemetry;
  const metrics = telemetry ? createBusinessMetrics(Runtime.instance().metricMeter, loadSloConfig()) : undefined;
  const common = {
    connection,
    namespace: config.temporal.namespace,
    shutdownGraceTime: config.worker.shutdownGraceMs,
    dataConverter: dataConverterFor(config.payloadCodec),
    interceptors: {
      // The OpenTelemetry span first, so the business interceptor labels it and runs the activity inside it.
      activity: metrics
        ? [
            (ctx: ActivityContext) => ({
              inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
              outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
            }),
            businessActivityInterceptor(config, metrics),
          ]
        : [],
    },
  };
  const polled = new Set(config.worker.taskQueues);
  const orchestration = [];
  if (polled.has('orchestration')) {
    if (!workflowBundle) throw new Error('the orchestration queue needs the workflow bundle');
    orchestration.push(
      await Worker.create({
        ...common,
        taskQueue: config.taskQueues.orchestration,
        workflowBundle,
        // Off, the workflows' own sink calls (alerts, compensations) still need a receiver; they go nowhere.
        sinks: metrics ? { ...businessSinks(metrics), ...workflowSpanSinks() } : silentBusinessSinks,
        activities: activities.orchestration,
        maxCachedWorkflows: config.worker.maxCachedWorkflows,
        maxConcurrentWorkflowTaskExecutions: Math.min(config.worker.maxConcurrentWorkflowTasks, config.worker.maxCachedWorkflows),
        // Only workflow code needs versions; activities on the system queues serve every version.
        workerDeploymentOptions: deploymentOptionsFor(config, workflowBundle),
      }),
    );
  }
  const systems = await Promise.all(
    systemQueues.filter((system) => polled.has(system)).map((system) =>
      Worker.create({
        ...common,
        taskQueue: config.taskQueues[system],
        activities: activities[system],
        maxTaskQueueActivitiesPerSecond: config.rateLimits[system],
        maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
      }),
    ),
  );
  return [...orchestration, ...systems];
}

/** Asks every running worker to drain: no new tasks, in-flight ones get the grace time to finish. */
export function shutdownWorkers(workers: Worker[]): void {
  for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
}

/**
 * Runs the workers until all have stopped. If one fails, the others are drained too, and the first
 * failure is rethrown once everything has stopped.
 */
export async function runWorkers(workers: Worker[], logger: Logger): Promise<void> {
  const results = await Promise.allSettled(
    workers.map((worker) =>
      worker.run().catch((err: unknown) => {
        logger.error('worker failed; draining the others', { taskQueue: worker.options.taskQueue, error: (err as Error).message });
        shutdownWorkers(workers);
        throw err;
      }),
    ),
  );
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}

/** Workflow spans leave the sandboxed workflow code through a sink: into the process's span processor (batched, not one export per workflow task), or nowhere when tracing is off. */
function workflowSpanSinks(): InjectedSinks<OpenTelemetrySinks> {
  const tracing = currentTracing();
  return { exporter: tracing ? makeWorkflowExporter(tracing.processor, tracing.resource) : { export: { fn: () => undefined, callDuringReplay: false } } };
}
