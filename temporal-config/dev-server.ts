/** Settings of the embedded dev server that `npm start` and `npm run temporal:dev` run. */
export const devServer = {
  ip: '127.0.0.1',
  port: 7233,
  uiPort: 8233,
  /** Fixed so Prometheus can scrape the server; the CLI would pick a random one. */
  metricsPort: 7234,
  namespace: 'default',
  logLevel: 'warn',
  /** Relative to the project root; a file (not memory) so workflows survive a restart. */
  dbFilename: '.state/temporal/dev.db',
};

/** WAL and relaxed fsync: the one history shard is bounded by SQLite write latency. */
export const sqlitePragmas = ['journal_mode=wal', 'synchronous=normal'];

/**
 * Dynamic config for the dev server. Values are JSON. Updates and update-with-start are used by
 * the API's synchronous answers to Salesforce. One partition per task queue: the queue rate limit
 * is split across partitions, each with its own burst, so with the default 4 a single node lets
 * bursts through; a cluster keeps its partitions for throughput.
 */
export const dynamicConfig: Record<string, unknown> = {
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  'frontend.enableUpdateWorkflowExecution': true,
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted': true,
  'frontend.enableExecuteMultiOperation': true,
  'system.enableEagerWorkflowStart': true,
  // Worker Deployment Versioning (pinned sagas, `retailctl versions`); drainage is re-checked every few
  // seconds instead of every 3 minutes so a drained version is reported while a developer watches.
  'system.enableDeploymentVersions': true,
  'frontend.workerVersioningWorkflowAPIs': true,
  'matching.wv.VersionDrainageStatusVisibilityGracePeriod': '10s',
  'matching.wv.VersionDrainageStatusRefreshInterval': '2s',
};

export function sqlitePragmaArgs(): string[] {
  return sqlitePragmas.flatMap((p) => ['--sqlite-pragma', p]);
}

export function dynamicConfigArgs(): string[] {
  return Object.entries(dynamicConfig).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${JSON.stringify(v)}`]);
}
