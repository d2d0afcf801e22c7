import { dynamicConfig } from './dev-server';

/**
 * The local Temporal cluster that `npm run cluster` runs: the real server (history, matching,
 * frontend and worker services in one process) on PostgreSQL with SQL advanced visibility, several
 * history shards, and the dynamic config the product needs. Every value can be overridden with the
 * CLUSTER_* variables read in scripts/cluster.ts.
 */
export const serverModule = 'go.temporal.io/server';
export const serverVersion = 'v1.29.1';
/** The PostgreSQL schema directories inside the server module (also embedded in the sql tool). */
export const schemaNames = { temporal: 'postgresql/v12/temporal', visibility: 'postgresql/v12/visibility' } as const;

export const clusterDefaults = {
  ip: '127.0.0.1',
  /** Beside the dev server's 7233, so both can run at once (bench:cluster compares them). */
  frontendPort: 7333,
  historyShards: 8,
  namespace: 'default',
  /** Days a closed workflow's history is kept; the dev server keeps 1. */
  retentionDays: 3,
  postgresPort: 55432,
  postgresUser: 'temporal',
  databases: { temporal: 'temporal', visibility: 'temporal_visibility' },
  /** Relative to the project root: PostgreSQL's data, the generated server config, logs. */
  stateDir: '.state/cluster',
  logLevel: 'warn',
};

export type ClusterSettings = typeof clusterDefaults;

/**
 * Cluster-only dynamic config on top of the dev server's (updates, update-with-start, eager start,
 * deployment versions, one partition per task queue so a queue's rate limit holds across workers).
 */
export const clusterDynamicConfig: Record<string, unknown> = {
  ...dynamicConfig,
  // A search attribute registered at start-up is usable by the next request, not after a cache refresh.
  'system.forceSearchAttributesCacheRefreshOnRead': true,
};

/** Ports of the four services, fixed offsets from the frontend's so one setting moves them all. */
export function servicePorts(frontendPort: number) {
  return {
    frontend: { grpcPort: frontendPort, membershipPort: frontendPort + 10, httpPort: frontendPort + 20 },
    history: { grpcPort: frontendPort + 1, membershipPort: frontendPort + 11 },
    matching: { grpcPort: frontendPort + 2, membershipPort: frontendPort + 12 },
    worker: { grpcPort: frontendPort + 3, membershipPort: frontendPort + 13 },
    metrics: frontendPort + 30,
  };
}

function sqlStore(settings: ClusterSettings, databaseName: string, maxConns: number) {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${settings.ip}:${settings.postgresPort}`,
      connectProtocol: 'tcp',
      user: settings.postgresUser,
      password: '',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

/**
 * The server's static config (what the module's config/development-postgres12.yaml holds), as an
 * object; written as JSON, which the server's YAML loader reads as it is.
 */
export function serverConfig(settings: ClusterSettings, dynamicConfigFile: string): Record<string, unknown> {
  const ports = servicePorts(settings.frontendPort);
  const rpc = (p: { grpcPort: number; membershipPort: number; httpPort?: number }) => ({ rpc: { ...p, bindOnIP: settings.ip } });
  return {
    log: { stdout: true, level: settings.logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: settings.historyShards,
      datastores: {
        'postgres-default': sqlStore(settings, settings.databases.temporal, 20),
        'postgres-visibility': sqlStore(settings, settings.databases.visibility, 10),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: settings.ip },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `${settings.ip}:${ports.metrics}` } },
    },
    services: {
      frontend: rpc(ports.frontend),
      history: rpc(ports.history),
      matching: rpc(ports.matching),
      worker: rpc(ports.worker),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `${settings.ip}:${settings.frontendPort}` },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
}

/** The file-based dynamic config: each key holds a list of constrained values; none are constrained here. */
export function dynamicConfigFile(values: Record<string, unknown> = clusterDynamicConfig): Record<string, Array<{ value: unknown }>> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, [{ value }]]));
}
