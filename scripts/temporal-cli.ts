import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Connection } from '@temporalio/client';
import { devServer, dynamicConfigArgs, sqlitePragmaArgs } from '../temporal-config/dev-server';
import { searchAttributeArgs } from '../temporal-config/search-attributes';

/**
 * Provisioning of the Temporal server, as a module (npm start, the tests, CI) and as a CLI:
 *   tsx scripts/temporal-cli.ts install   find the `temporal` binary, or build the pinned one with Go
 *   tsx scripts/temporal-cli.ts start     run the dev server in the foreground (state in .state/temporal)
 *   tsx scripts/temporal-cli.ts path      print the binary's path (exit 1 if there is none)
 * TEMPORAL_ADDRESS set → that server is used and none is ever started or built.
 */
export const projectRoot = resolve(__dirname, '..');
export const temporalCliModule = 'github.com/temporalio/cli/cmd/temporal';
export const temporalCliVersion = 'v1.5.1';
export const toolsBin = join(projectRoot, '.tools', 'bin');

export type Log = (line: string) => void;
const defaultLog: Log = (line) => console.log(line);

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** TEMPORAL_CLI_PATH, then `temporal` on PATH, then the project's own build in .tools/bin. */
export function findTemporalBinary(): string | undefined {
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit && isExecutable(explicit)) return explicit;
  return onPath('temporal') ?? (isExecutable(join(toolsBin, 'temporal')) ? join(toolsBin, 'temporal') : undefined);
}

export class ProvisioningError extends Error {
  override name = 'ProvisioningError';
}

const noServerHelp = [
  'No Temporal server available. Choose one of:',
  '  1. set TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE, TLS or TEMPORAL_API_KEY) to use an existing server or Temporal Cloud;',
  '  2. put the `temporal` CLI on PATH (https://docs.temporal.io/cli) or at .tools/bin/temporal;',
  `  3. install Go (https://go.dev/dl) so it can be built: go install ${temporalCliModule}@${temporalCliVersion}.`,
].join('\n');

/** Builds the pinned CLI into .tools/bin with `go install`, echoing go's download lines and a heartbeat. */
export async function installTemporalCli(log: Log = defaultLog): Promise<string> {
  return goInstall(temporalCliModule, temporalCliVersion, 'temporal', 'the Temporal CLI', log);
}

/** `go install package@version` into .tools/bin (GOBIN), echoing go's download lines and a heartbeat while it compiles. */
export async function goInstall(goPackage: string, version: string, binaryName: string, what: string, log: Log = defaultLog): Promise<string> {
  const go = onPath('go');
  if (!go) throw new ProvisioningError(noServerHelp);
  mkdirSync(toolsBin, { recursive: true });
  log(`building ${what} ${version} with ${go} into ${toolsBin} (a few minutes on a cold Go cache)`);
  const started = Date.now();
  const child = spawn(go, ['install', `${goPackage}@${version}`], {
    env: { ...process.env, GOBIN: toolsBin },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const echo = (line: string) => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
    log(`  ${line}`);
  };
  createInterface({ input: child.stdout! }).on('line', echo);
  createInterface({ input: child.stderr! }).on('line', echo);
  // go prints nothing while compiling; the heartbeat shows the build is alive.
  const heartbeat = setInterval(() => log(`  … still building ${what} (${Math.round((Date.now() - started) / 1000)} s)`), 10_000);
  const code = await new Promise<number | null>((done) => child.on('close', done)).finally(() => clearInterval(heartbeat));
  const binary = join(toolsBin, binaryName);
  if (code !== 0 || !isExecutable(binary)) {
    throw new ProvisioningError(`go install ${goPackage}@${version} failed (exit ${code}); last output:\n${tail.join('\n')}`);
  }
  log(`built ${binary} in ${Math.round((Date.now() - started) / 1000)} s`);
  return binary;
}

/** The binary to run: found, or built when `install` allows it (the default). */
export async function resolveTemporalBinary(options: { install?: boolean; log?: Log } = {}): Promise<string> {
  const found = findTemporalBinary();
  if (found) return found;
  if (options.install === false) throw new ProvisioningError(noServerHelp);
  return installTemporalCli(options.log);
}

export function temporalVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return (out.stdout || out.stderr || '').trim();
}

/** True when something accepts TCP connections on host:port. */
export function portInUse(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host, port });
    const finish = (inUse: boolean) => {
      socket.destroy();
      done(inUse);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** One attempt: does a Temporal frontend answer on this address for this namespace? */
export async function frontendAnswers(address: string, namespace: string, connectTimeoutMs = 2_000): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: connectTimeoutMs });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** Polls until the frontend answers, or fails with what was waited for and how long. */
export async function waitForFrontend(address: string, namespace: string, options: { timeoutMs?: number; exited?: () => string | undefined } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const exit = options.exited?.();
    if (exit) throw new ProvisioningError(exit);
    if (await frontendAnswers(address, namespace)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new ProvisioningError(`Temporal frontend at ${address} did not answer for namespace "${namespace}" within ${Math.round(timeoutMs / 1000)} s`);
}

export interface DevServerOptions {
  binary?: string;
  ip?: string;
  port?: number;
  uiPort?: number;
  metricsPort?: number;
  namespace?: string;
  /** Absolute, or relative to the project root. */
  dbFilename?: string;
  logLevel?: string;
  log?: Log;
  /** Receives each line the server prints (start.ts prefixes them with the component name). */
  output?: Log;
  startTimeoutMs?: number;
  /** The remote codec the Web UI decodes payloads through (--ui-codec-endpoint). */
  codecEndpoint?: string;
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  metricsUrl?: string;
  /** True when a server already running on the port was reused; stop() then leaves it alone. */
  reused: boolean;
  child?: ChildProcess;
  stop: () => Promise<void>;
}

/** The `server start-dev` arguments: persistent SQLite in WAL mode, fixed ports, our search attributes. */
export function devServerArgs(options: DevServerOptions = {}): string[] {
  const dbFilename = resolve(projectRoot, options.dbFilename ?? devServer.dbFilename);
  return [
    'server', 'start-dev',
    '--ip', options.ip ?? devServer.ip,
    '--port', String(options.port ?? devServer.port),
    '--ui-port', String(options.uiPort ?? devServer.uiPort),
    '--metrics-port', String(options.metricsPort ?? devServer.metricsPort),
    '--db-filename', dbFilename,
    '--namespace', options.namespace ?? devServer.namespace,
    '--log-level', options.logLevel ?? devServer.logLevel,
    ...sqlitePragmaArgs(),
    ...dynamicConfigArgs(),
    ...searchAttributeArgs(),
    ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
  ];
}

/** Stops a child with SIGTERM, then SIGKILL after the grace period; resolves once it has exited. */
export function stopChild(child: ChildProcess, graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    child.kill(signal);
  });
}

/**
 * Starts `temporal server start-dev` (or reuses a Temporal server already serving the port) and
 * resolves once the frontend answers. A port held by something else is one clear error.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const log = options.log ?? defaultLog;
  const ip = options.ip ?? devServer.ip;
  const port = options.port ?? devServer.port;
  const uiPort = options.uiPort ?? devServer.uiPort;
  const metricsPort = options.metricsPort ?? devServer.metricsPort;
  const namespace = options.namespace ?? devServer.namespace;
  const address = `${ip}:${port}`;

  if (await portInUse(ip, port)) {
    if (await frontendAnswers(address, namespace)) {
      log(`a Temporal server is already serving ${address}; reusing it`);
      return { address, namespace, uiUrl: `http://${ip}:${uiPort}`, reused: true, stop: async () => undefined };
    }
    throw new ProvisioningError(`port ${port} on ${ip} is in use by something that is not a Temporal server; free it or set TEMPORAL_ADDRESS`);
  }
  for (const [what, p] of [['Web UI', uiPort], ['server metrics', metricsPort]] as const) {
    if (await portInUse(ip, p)) throw new ProvisioningError(`port ${p} (Temporal ${what}) on ${ip} is already in use; free it before starting the dev server`);
  }

  const binary = options.binary ?? (await resolveTemporalBinary({ log }));
  const args = devServerArgs(options);
  const dbFilename = args[args.indexOf('--db-filename') + 1];
  mkdirSync(dirname(dbFilename), { recursive: true });
  log(`starting ${binary} ${args.slice(0, 2).join(' ')} on ${address} (state in ${dbFilename})`);

  // Own process group: a terminal Ctrl-C reaches our parent, which stops the server last.
  const child = spawn(binary, args, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const output = options.output ?? ((line: string) => log(`temporal | ${line}`));
  const tail: string[] = [];
  let stopping = false;
  const collect = (line: string) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    // While stopping, its internal workers log every failed poll and dial; that noise says nothing.
    if (!stopping || !/level=WARN/.test(line)) output(line);
  };
  createInterface({ input: child.stdout! }).on('line', collect);
  createInterface({ input: child.stderr! }).on('line', collect);
  let exitReason: string | undefined;
  child.once('exit', (code, signal) => {
    exitReason = `temporal server start-dev exited (${signal ?? `code ${code}`}) before it was ready; last output:\n${tail.join('\n')}`;
  });
  child.once('error', (err) => {
    exitReason = `could not run ${binary}: ${err.message}`;
  });

  const stop = () => {
    stopping = true;
    return stopChild(child, 15_000);
  };
  try {
    await waitForFrontend(address, namespace, { timeoutMs: options.startTimeoutMs ?? 60_000, exited: () => exitReason });
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, namespace, uiUrl: `http://${ip}:${uiPort}`, metricsUrl: `http://${ip}:${metricsPort}/metrics`, reused: false, child, stop };
}

async function cli(command: string | undefined): Promise<void> {
  if (command === 'path') {
    const found = findTemporalBinary();
    if (!found) throw new ProvisioningError(noServerHelp);
    console.log(found);
    return;
  }
  if (command === 'install') {
    if (process.env.TEMPORAL_ADDRESS) console.log(`note: TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS} is set, so the dev server will not be used`);
    const binary = await resolveTemporalBinary();
    console.log(`${binary}  (${temporalVersion(binary).split('\n')[0]})`);
    return;
  }
  if (command === 'start') {
    if (process.env.TEMPORAL_ADDRESS) {
      throw new ProvisioningError(`TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS} is set: that server is used, none is started here`);
    }
    const server = await startDevServer();
    console.log(`Temporal gRPC ${server.address}   Web UI ${server.uiUrl}${server.metricsUrl ? `   metrics ${server.metricsUrl}` : ''}`);
    if (server.reused) return;
    await new Promise<void>((done) => {
      const onSignal = () => void server.stop().then(done);
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      server.child!.once('exit', () => done());
    });
    return;
  }
  throw new ProvisioningError('usage: tsx scripts/temporal-cli.ts install | start | path');
}

if (require.main === module) {
  cli(process.argv[2]).then(
    () => process.exit(0),
    (err: Error) => {
      console.error(err instanceof ProvisioningError ? err.message : err);
      process.exit(1);
    },
  );
}
