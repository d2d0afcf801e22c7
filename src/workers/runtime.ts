import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogLevel } from '@temporalio/worker';
import type { Config } from '../config';
import { loadSloConfig } from '../config/slo';
import { histogramBuckets } from '../observability/business-metrics';
import type { Logger } from '../observability/logger';

/** One worker per queue means each serves only workflows or only activities, by design; the SDK says so per worker. */
export function isSplitQueueNotice(message: string): boolean {
  return /^No (workflows|activities|Nexus services) registered, not polling/.test(message);
}

const sdkLevel: Record<Config['log']['level'], LogLevel> = { error: 'ERROR', warn: 'WARN', info: 'INFO', debug: 'DEBUG' };

/**
 * Routes the SDK's logs (worker, workflow and activity context loggers, and Rust core) into winston,
 * with their workflowId/runId/activityType metadata as fields, and serves Prometheus metrics.
 * Signals are left to main.ts, which drains the workers before closing the connectors.
 */
export function installRuntime(config: Config, logger: Logger): Runtime {
  const { metricsPort } = config.worker;
  return Runtime.install({
    logger: new DefaultLogger(sdkLevel[config.log.level], ({ level, message, meta }) => {
      if (isSplitQueueNotice(message)) return;
      // Activity lines say workflowRunId where workflow and API lines say runId; the task token is opaque bytes.
      const { workflowRunId, taskToken: _taskToken, ...fields } = meta ?? {};
      logger.log({ level: level === 'TRACE' ? 'debug' : level.toLowerCase(), message, ...fields, ...(workflowRunId ? { runId: workflowRunId } : {}) });
    }),
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) },
      // Port 0 turns the exporter off (several workers on one host, or tests).
      ...(metricsPort > 0 ? { metrics: { prometheus: { bindAddress: `0.0.0.0:${metricsPort}`, histogramBucketOverrides: histogramBuckets(loadSloConfig()) } } } : {}),
    },
    shutdownSignals: [],
  });
}
