import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, createWriteStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { clusterDefaults, dynamicConfigFile, schemaNames, serverConfig, serverModule, serverVersion, servicePorts, type ClusterSettings } from '../temporal-config/cluster';
import { searchAttributes } from '../temporal-config/search-attributes';
import { TypedSearchAttributes } from '@temporalio/common';
import { goInstall, isExecutable, portInUse, projectRoot, ProvisioningError, stopChild, toolsBin, waitForFrontend, type Log } from './temporal-cli';

/**
 * A real Temporal cluster on this machine: the Temporal server v1.29.1 on PostgreSQL (several history
 * shards, SQL advanced visibility), state under .state/cluster so it survives restarts.
 *   tsx scripts/cluster.ts build            build the server and the sql tool into .tools/bin
 *   tsx scripts/cluster.ts start            build if needed, start PostgreSQL and the server; Ctrl-C stops both
 *   tsx scripts/cluster.ts exec -- CMD ...  start (or reuse) the cluster, run CMD with TEMPORAL_ADDRESS set, stop what was started
 * Settings: CLUSTER_PORT (frontend, 7333), CLUSTER_HISTORY_SHARDS (8; fixed once the database exists),
 * CLUSTER_POSTGRES_PORT (55432), CLUSTER_STATE_DIR (.state/cluster), PG_BIN (PostgreSQL's bin directory).
 */

const defaultLog: Log = (line) => console.log(line);

export function clusterSettings(env: NodeJS.ProcessEnv = process.env): ClusterSettings {
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) throw new ProvisioningError(`${name}=${raw} is not an integer in ${min}..${max}`);
    return value;
  };
  return {
    ...clusterDefaults,
    frontendPort: int('CLUSTER_PORT', clusterDefaults.frontendPort, 1024, 65000),
    historyShards: int('CLUSTER_HISTORY_SHARDS', clusterDefaults.historyShards, 1, 16384),
    postgresPort: int('CLUSTER_POSTGRES_PORT', clusterDefaults.postgresPort, 1024, 65535),
    stateDir: env.CLUSTER_STATE_DIR || clusterDefaults.stateDir,
  };
}

/** The server and the sql tool from .tools/bin, built there with `go install` when missing. */
export async function ensureClusterBinaries(log: Log = defaultLog): Promise<{ server: string; sqlTool: string }> {
  const server = join(toolsBin, 'server');
  const sqlTool = join(toolsBin, 'sql');
  if (!isExecutable(server)) await goInstall(`${serverModule}/cmd/server`, serverVersion, 'server', 'the Temporal server', log);
  if (!isExecutable(sqlTool)) await goInstall(`${serverModule}/cmd/tools/sql`, serverVersion, 'sql', 'the Temporal sql tool', log);
  return { server, sqlTool };
}

/** PostgreSQL's bin directory: PG_BIN, else the newest /usr/lib/postgresql/<version>/bin (Debian's `postgresql`). */
export function postgresBin(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PG_BIN) return env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? (spawnSync('ls', [root], { encoding: 'utf8' }).stdout ?? '').split('\n').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
    : [];
  const found = versions.map((v) => join(root, v, 'bin')).find((dir) => isExecutable(join(dir, 'postgres')));
  if (!found) throw new ProvisioningError('PostgreSQL is not installed: apt-get install -y postgresql (or set PG_BIN to its bin directory)');
  return found;
}

const isRoot = () => process.getuid?.() === 0;

/** initdb refuses root: as root, PostgreSQL runs as the `postgres` user, which owns the data directory. */
function asPostgresUser(command: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

function run([command, args]: [string, string[]], what: string): string {
  const out = spawnSync(command, args, { encoding: 'utf8' });
  if (out.status !== 0) throw new ProvisioningError(`${what} failed (exit ${out.status}): ${(out.stderr || out.stdout || String(out.error ?? '')).trim().split('\n').slice(-5).join(' | ')}`);
  return out.stdout;
}

export interface RunningCluster {
  address: string;
  namespace: string;
  settings: ClusterSettings;
  /** Stops the server, then PostgreSQL; processes found already running are left alone. */
  stop: () => Promise<void>;
}

/**
 * Starts PostgreSQL on its own port with a data directory under the state dir (initdb on first use);
 * returns how to stop it, or undefined when one already answered on the port (then it is left alone).
 */
/**
 * The postgres user must pass through every folder above its data directory. .state is 0700 (it
 * holds development keys), so the folders inside the checkout get search permission for others
 * (o+x: enter, never list); a folder above the checkout without it is reported, never changed.
 */
function letPostgresReach(dataDir: string): void {
  const checkout = resolve(__dirname, '..');
  for (let dir = dirname(dataDir); dir !== dirname(dir); dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if (mode & 0o001) continue;
    if (!dir.startsWith(checkout)) throw new Error(`PostgreSQL runs as the postgres user, which cannot enter ${dir}: grant it search permission (chmod o+x) or set CLUSTER_STATE_DIR elsewhere`);
    chmodSync(dir, (mode & 0o7777) | 0o001);
  }
}

async function startPostgres(settings: ClusterSettings, stateDir: string, log: Log): Promise<(() => void) | undefined> {
  if (await portInUse(settings.ip, settings.postgresPort)) {
    log(`PostgreSQL: port ${settings.postgresPort} already answers; using it`);
    return undefined;
  }
  const bin = postgresBin();
  const dataDir = join(stateDir, 'postgres');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (isRoot()) letPostgresReach(dataDir);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`PostgreSQL: initdb ${dataDir}`);
    if (isRoot()) chownSync(dataDir, Number(run(['id', ['-u', 'postgres']], 'id -u postgres').trim()), Number(run(['id', ['-g', 'postgres']], 'id -g postgres').trim()));
    // Trust on 127.0.0.1 only: a local development cluster; production databases are managed apart.
    run(asPostgresUser(join(bin, 'initdb'), ['-D', dataDir, '-U', settings.postgresUser, '-A', 'trust', '-E', 'UTF8', '--no-locale']), 'initdb');
  }
  // pg_ctl as the data directory's owner: the log sits in the data directory (the postgres user cannot
  // write elsewhere under a root-owned tree) and the socket too, so no root-only /var/run/postgresql.
  const pgCtl = (...args: string[]): [string, string[]] => asPostgresUser(join(bin, 'pg_ctl'), ['-D', dataDir, ...args]);
  const options = `-p ${settings.postgresPort} -c listen_addresses=${settings.ip} -k ${dataDir} -c max_connections=200`;
  run(pgCtl('start', '-w', '-t', '60', '-l', join(dataDir, 'postgres.log'), '-o', options), `PostgreSQL start (see ${join(dataDir, 'postgres.log')})`);
  log(`PostgreSQL ${bin} on ${settings.ip}:${settings.postgresPort}`);
  // Fast shutdown: open transactions roll back, the data stays consistent.
  return () => void run(pgCtl('stop', '-m', 'fast', '-w', '-t', '60'), 'PostgreSQL stop');
}

/** Creates each database and its schema on first use; update-schema on every start applies newer versions only. */
function setupSchemas(settings: ClusterSettings, sqlTool: string, log: Log): void {
  const base = ['--plugin', 'postgres12', '--endpoint', settings.ip, '--port', String(settings.postgresPort), '--user', settings.postgresUser, '--password', ''];
  for (const [kind, db] of Object.entries(settings.databases) as Array<[keyof typeof schemaNames, string]>) {
    const exists = run(['psql', ['-h', settings.ip, '-p', String(settings.postgresPort), '-U', settings.postgresUser, '-d', 'postgres', '-tAc', `select 1 from pg_database where datname = '${db}'`]], 'psql').trim() === '1';
    if (!exists) {
      log(`schema: creating database ${db}`);
      run([sqlTool, [...base, '--db', db, 'create-database']], `sql create-database ${db}`);
      run([sqlTool, [...base, '--db', db, 'setup-schema', '-v', '0.0']], `sql setup-schema ${db}`);
    }
    run([sqlTool, [...base, '--db', db, 'update-schema', '--schema-name', schemaNames[kind]]], `sql update-schema ${db}`);
    log(`schema: ${db} at the ${schemaNames[kind]} schema of ${serverVersion}`);
  }
}

/** The namespace and the product's custom search attributes; both calls are no-ops when already done. */
export async function registerNamespace(settings: Pick<ClusterSettings, 'namespace' | 'retentionDays'>, address: string, log: Log = defaultLog): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    try {
      await connection.workflowService.registerNamespace({
        namespace: settings.namespace,
        workflowExecutionRetentionPeriod: msToTs(`${settings.retentionDays} days`),
      });
      log(`namespace ${settings.namespace} registered (retention ${settings.retentionDays} days)`);
    } catch (err) {
      if (!/already exists|already registered/i.test((err as Error).message)) throw err;
    }
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: settings.namespace });
    const missing = searchAttributes.filter(({ name }) => !customAttributes?.[name]);
    if (missing.length) {
      await connection.operatorService.addSearchAttributes({
        namespace: settings.namespace,
        searchAttributes: Object.fromEntries(missing.map(({ name, type }) => [name, indexedValueType(type)])),
      });
      log(`search attributes added: ${missing.map((a) => a.name).join(', ')}`);
    }
  } finally {
    await connection.close();
  }
}

// The proto enum IndexedValueType by the metadata type name the CLI uses.
function indexedValueType(type: Parameters<typeof TypedSearchAttributes.toMetadataType>[0]): number {
  const byName: Record<string, number> = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6, KeywordList: 7 };
  const name = TypedSearchAttributes.toMetadataType(type);
  const value = byName[name];
  if (value === undefined) throw new ProvisioningError(`search attribute type ${name} has no indexed value type`);
  return value;
}

/** Builds what is missing, starts PostgreSQL and the server, registers the namespace; reuses a running frontend. */
export async function startCluster(options: { log?: Log; output?: Log } = {}): Promise<RunningCluster> {
  const log = options.log ?? defaultLog;
  const settings = clusterSettings();
  const address = `${settings.ip}:${settings.frontendPort}`;
  if (await portInUse(settings.ip, settings.frontendPort)) {
    await waitForFrontend(address, settings.namespace, { timeoutMs: 10_000 });
    log(`Temporal cluster already running at ${address}; using it`);
    return { address, namespace: settings.namespace, settings, stop: async () => undefined };
  }
  const { server, sqlTool } = await ensureClusterBinaries(log);
  const stateDir = resolve(projectRoot, settings.stateDir);
  mkdirSync(stateDir, { recursive: true });
  const stopPostgresIfStarted = await startPostgres(settings, stateDir, log);
  const stopPostgres = async () => stopPostgresIfStarted?.();
  let child: ChildProcess | undefined;
  try {
    setupSchemas(settings, sqlTool, log);
    const configDir = join(stateDir, 'config');
    mkdirSync(configDir, { recursive: true });
    const dynamicFile = join(configDir, 'dynamic.yaml');
    // JSON is YAML: the server's loader reads both files as they are written here.
    writeFileSync(dynamicFile, JSON.stringify(dynamicConfigFile(), null, 2));
    writeFileSync(join(configDir, 'cluster.yaml'), JSON.stringify(serverConfig(settings, dynamicFile), null, 2));
    const serverLog = createWriteStream(join(stateDir, 'server.log'), { flags: 'a' });
    child = spawn(server, ['--root', stateDir, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout!.pipe(serverLog);
    child.stderr!.pipe(serverLog);
    let exitReason: string | undefined;
    child.once('exit', (code, signal) => (exitReason = `the Temporal server exited (${signal ?? code}) before answering; see ${join(stateDir, 'server.log')}`));
    log(`Temporal server ${serverVersion}: ${settings.historyShards} history shards, frontend ${address}, metrics http://${settings.ip}:${servicePorts(settings.frontendPort).metrics}/metrics`);
    await waitForFrontend(address, 'temporal-system', { timeoutMs: 120_000, exited: () => exitReason });
    await registerNamespace(settings, address, log);
    await waitForFrontend(address, settings.namespace, { timeoutMs: 30_000, exited: () => exitReason });
  } catch (err) {
    if (child) await stopChild(child, 20_000);
    await stopPostgres();
    throw err;
  }
  const started = child;
  return {
    address,
    namespace: settings.namespace,
    settings,
    stop: async () => {
      await stopChild(started, 20_000);
      await stopPostgres();
    },
  };
}

async function cli(argv: string[]): Promise<number> {
  const [command = 'start', ...rest] = argv;
  if (command === 'build') {
    const { server, sqlTool } = await ensureClusterBinaries();
    console.log(`${server}\n${sqlTool}`);
    return 0;
  }
  if (command === 'start' || command === 'exec') {
    const cluster = await startCluster();
    console.log(`Temporal cluster at ${cluster.address} (namespace ${cluster.namespace}); run the product with TEMPORAL_ADDRESS=${cluster.address}`);
    if (command === 'exec') {
      const [cmd, ...args] = rest[0] === '--' ? rest.slice(1) : rest;
      if (!cmd) throw new ProvisioningError('usage: tsx scripts/cluster.ts exec -- COMMAND [ARGS...]');
      // Ctrl-C reaches the command too; this process waits for it to end, then stops the cluster.
      const keepRunning = () => undefined;
      process.on('SIGINT', keepRunning);
      const code = await new Promise<number>((done) => {
        const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, TEMPORAL_ADDRESS: cluster.address, TEMPORAL_NAMESPACE: cluster.namespace } });
        child.once('exit', (c, signal) => done(c ?? (signal ? 1 : 0)));
        child.once('error', () => done(127));
      });
      process.off('SIGINT', keepRunning);
      await cluster.stop();
      return code;
    }
    console.log('Ctrl-C stops the server and PostgreSQL; state stays in ' + cluster.settings.stateDir);
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    console.log('stopping the Temporal server, then PostgreSQL');
    await cluster.stop();
    return 0;
  }
  throw new ProvisioningError('usage: tsx scripts/cluster.ts build | start | exec -- COMMAND [ARGS...]');
}

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(err instanceof ProvisioningError ? err.message : err);
      process.exit(1);
    },
  );
}
