import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type LogLevel, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { resolveTemporalBinary } from '../../scripts/temporal-cli';
import { dynamicConfigArgs, sqlitePragmaArgs } from '../../temporal-config/dev-server';
import { searchAttributes } from '../../temporal-config/search-attributes';
import { currentTracing } from '../../src/observability/tracing';
import { bundleWorkflows, type BundleTelemetry } from '../../src/workers/bundle';
import { isSplitQueueNotice } from '../../src/workers/runtime';
import { shutdownWorkers } from '../../src/workers/workers';
import { testDataConverter } from './codec';

/**
 * One Temporal server for the whole mocha run, started on first use so unit, sandbox and connector
 * tests never wait for it: an in-memory dev server from the provisioned CLI binary, or the server
 * at TEMPORAL_ADDRESS when set. root-hooks.ts tears it down after the run.
 */
let env: Promise<TestWorkflowEnvironment> | undefined;

/** Allow this long in a `before` hook that calls getTestEnv(): a missing CLI is built with Go first. */
export const testEnvTimeoutMs = 300_000;

export function getTestEnv(): Promise<TestWorkflowEnvironment> {
  env ??= createTestEnv();
  return env;
}

async function createTestEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const address = process.env.TEMPORAL_ADDRESS;
  if (address) {
    return TestWorkflowEnvironment.createFromExistingServer({
      address,
      namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
      connectionOptions: process.env.TEMPORAL_API_KEY ? { apiKey: process.env.TEMPORAL_API_KEY, tls: true } : undefined,
      client: { dataConverter: testDataConverter },
    });
  }
  const path = await resolveTemporalBinary({ log: (line) => console.log(`[temporal-cli] ${line}`) });
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path },
      ip: '127.0.0.1',
      ui: false,
      searchAttributes,
      extraArgs: [...sqlitePragmaArgs(), ...dynamicConfigArgs(), '--log-level', 'error'],
    },
    client: { dataConverter: testDataConverter },
  });
}

/**
 * Only the SDK's errors in test output (failure tests make activities fail on purpose; set
 * TEST_SDK_LOG_LEVEL=WARN or DEBUG to see more); must run before anything touches Runtime.instance().
 */
let quieted = false;
function quietRuntime(): void {
  if (quieted) return;
  quieted = true;
  try {
    const level = (process.env.TEST_SDK_LOG_LEVEL ?? 'ERROR') as LogLevel;
    const sdkLog = new DefaultLogger(level);
    const logger = new DefaultLogger(level, (entry) => {
      if (!isSplitQueueNotice(entry.message)) sdkLog.log(entry.level, entry.message, entry.meta);
    });
    // Core's own warnings too (e.g. the time-skipping server's missing capabilities), through the same level.
    Runtime.install({ logger, telemetryOptions: { logging: { filter: { core: level, other: 'ERROR' }, forward: {} } } });
  } catch {
    // Already installed by an earlier suite or by the code under test.
  }
}

export async function teardownTestEnv(): Promise<void> {
  if (!env) return;
  const pending = env;
  env = undefined;
  await (await pending.catch(() => undefined))?.teardown();
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/** The production workflow bundle, built once per run (per telemetry) and shared by every suite: by default with tracing's interceptor once a suite installed tracing, as the worker does. */
export function getWorkflowBundle(telemetry: BundleTelemetry = { business: true, tracing: currentTracing() !== undefined }): Promise<WorkflowBundleWithSourceMap> {
  quietRuntime();
  const key = JSON.stringify(telemetry);
  if (!bundles.has(key)) bundles.set(key, bundleWorkflows(new DefaultLogger('WARN'), undefined, telemetry));
  return bundles.get(key)!;
}

let counter = 0;

/** A task queue or workflow id nobody else in this run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

/** Environment overrides giving a test its own five task queues, so suites sharing the server never steal each other's tasks. */
export function isolatedQueueEnv(prefix: string): Record<string, string> {
  const base = uniqueName(prefix);
  return {
    TASK_QUEUE_ORCHESTRATION: `${base}-orchestration`,
    TASK_QUEUE_SALESFORCE: `${base}-sys-salesforce`,
    TASK_QUEUE_ERP: `${base}-sys-erp`,
    TASK_QUEUE_WAREHOUSE: `${base}-sys-warehouse`,
    TASK_QUEUE_PAYMENTS: `${base}-sys-payments`,
  };
}

/** worker.runUntil for a set of workers: runs them all, awaits `fn`, then drains them and waits for the drain. */
export async function runWorkersUntil<T>(workers: Worker[], fn: () => Promise<T>): Promise<T> {
  const running = Promise.all(workers.map((w) => w.run()));
  try {
    return await fn();
  } finally {
    shutdownWorkers(workers);
    await running;
  }
}
