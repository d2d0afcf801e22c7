import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { configFromEnv, type Config } from '../src/config';
import { intakeConfigFromEnv } from '../src/config/intake';
import { isLoopbackHost } from '../src/config/api';
import { ensureWebhookSecret } from '../src/starters/http/events/webhook-secret';
import { describeDeployment, makeCurrentOnceRegistered, versionExists } from '../src/client/versions';
import { createClient } from '../src/temporal/client';
import { ensureReconciliationSchedule } from '../src/schedules/reconciliation';
import { startPricingFeed } from '../src/client/pricing';
import { pricingConfigFromEnv } from '../src/config/pricing';
import { codecServerConfigFromEnv } from '../src/config/codec';
import { ensureDevelopmentCodecKeys } from '../src/starters/codec/dev-keys';
import { DefaultLogger } from '@temporalio/worker';
import { prebuiltBundleDir, readPrebuiltBundle, writePrebuiltBundle } from '../src/workers/bundle';
import { ensureSalesforceDevKey } from './salesforce-dev-key';
import { portInUse, ProvisioningError, projectRoot, startDevServer, stopChild, type DevServer } from './temporal-cli';

/**
 * `npm start`: the whole system on one machine — the Temporal dev server (unless TEMPORAL_ADDRESS
 * is set), the sandbox enterprise, the worker, the API and the Salesforce intake — each waited for,
 * then a table of URLs. Ctrl-C or SIGTERM stops them in reverse: the intake first, then the API, the
 * worker (it drains), the sandbox, and Temporal.
 * State lives in .state/ (temporal/dev.db, sandbox/), so the next `npm start` resumes it.
 */
const colors = { temporal: 36, sandbox: 35, worker: 33, api: 32, codec: 34, intake: 94, start: 1 } as const;
type Component = keyof typeof colors;

function prefixed(name: Component): (line: string) => void {
  const tag = name.padEnd(8);
  const label = process.stdout.isTTY ? `\x1b[${colors[name]}m${tag}\x1b[0m` : tag;
  return (line) => process.stdout.write(`${label}| ${line}\n`);
}
const say = prefixed('start');

interface Child {
  name: Component;
  process: ChildProcess;
  /** Set once the child has exited, with how. */
  exited?: string;
  graceMs: number;
}

/** A TypeScript entry point run with tsx's loader, in its own process group so Ctrl-C reaches only us. */
function startChild(name: Component, script: string, env: Record<string, string | undefined>, graceMs: number): Child {
  const child: Child = {
    name,
    graceMs,
    process: spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: projectRoot,
      // Children write to a pipe, not a terminal: ask for readable logs when we are on one.
      env: { ...process.env, ...(process.stdout.isTTY && !process.env.LOG_FORMAT ? { LOG_FORMAT: 'pretty' } : {}), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    }),
  };
  const print = prefixed(name);
  createInterface({ input: child.process.stdout! }).on('line', print);
  createInterface({ input: child.process.stderr! }).on('line', print);
  child.process.once('exit', (code, signal) => {
    child.exited = signal ?? `code ${code}`;
  });
  return child;
}

async function waitFor(what: string, child: Child | undefined, timeoutMs: number, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child?.exited) throw new ProvisioningError(`${child.name} exited (${child.exited}) before ${what}`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new ProvisioningError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
}

function sandboxUrls(config: Config): Record<string, string> {
  return {
    salesforce: config.salesforce.loginUrl,
    erpCloud: config.erp.cloudUrl,
    erpLegacy: config.erp.legacyUrl,
    warehouse: config.warehouse.url,
    payments: config.payments.url,
    carrier: config.carrier.url,
  };
}

/** The sandbox listens where the product's config points, so the two can never disagree. */
function sandboxEnv(urls: Record<string, string>, pubsubEndpoint: string): Record<string, string> {
  const portOf = (url: string) => new URL(url).port;
  return {
    SANDBOX_PUBSUB_PORT: pubsubEndpoint.split(':').at(-1)!,
    SANDBOX_STATE_DIR: join(projectRoot, '.state', 'sandbox'),
    SANDBOX_SALESFORCE_PORT: portOf(urls.salesforce),
    SANDBOX_ERP_CLOUD_PORT: portOf(urls.erpCloud),
    SANDBOX_ERP_LEGACY_PORT: portOf(urls.erpLegacy),
    SANDBOX_WAREHOUSE_PORT: portOf(urls.warehouse),
    SANDBOX_PAYMENTS_PORT: portOf(urls.payments),
    SANDBOX_CARRIER_PORT: portOf(urls.carrier),
  };
}

/** Ready = every queue has a poller seen since the worker was spawned (older ones are a previous run's). */
async function workerPolling(client: Client, config: Config, since: number): Promise<boolean> {
  const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
  const queues: [string, temporal.api.enums.v1.TaskQueueType][] = [
    [config.taskQueues.orchestration, TASK_QUEUE_TYPE_WORKFLOW],
    ...[config.taskQueues.salesforce, config.taskQueues.erp, config.taskQueues.warehouse, config.taskQueues.payments].map(
      (name) => [name, TASK_QUEUE_TYPE_ACTIVITY] as [string, temporal.api.enums.v1.TaskQueueType],
    ),
  ];
  for (const [name, taskQueueType] of queues) {
    const { pollers } = await client.workflowService.describeTaskQueue({ namespace: config.temporal.namespace, taskQueue: { name }, taskQueueType });
    if (!pollers.some((p) => tsToMs(p.lastAccessTime) >= since)) return false;
  }
  return true;
}

/** The build id the freshly spawned orchestration worker polls with (undefined until it has polled). */
async function pollingBuildId(client: Client, config: Config, since: number): Promise<string | undefined> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: config.temporal.namespace,
    taskQueue: { name: config.taskQueues.orchestration },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  const fresh = pollers.filter((p) => tsToMs(p.lastAccessTime) >= since && p.deploymentOptions?.deploymentName === config.worker.deploymentName);
  return fresh.map((p) => p.deploymentOptions?.buildId).find(Boolean) ?? undefined;
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
  return res.ok;
}

async function main(): Promise<void> {
  // Payloads are sealed from the first workflow on: a development key is made before anything reads the config.
  const explicitKeys = process.env.PAYLOAD_CODEC_KEYS || process.env.PAYLOAD_CODEC_KEYS_FILE || process.env.PAYLOAD_ENCRYPTION === 'off';
  if (!explicitKeys) {
    const made = ensureDevelopmentCodecKeys(process.env.RETAIL_STATE_DIR || join(projectRoot, '.state'));
    if (made.created) say(`made a development payload encryption key in ${made.path}`);
  }
  // Development runs versioned like production: each changed workflow bundle is a new build, made current below.
  process.env.WORKER_DEPLOYMENT_NAME ||= 'retail-orchestrator';
  // The sandbox's connected app trusts a development key; against the sandbox, jwt_bearer signs with it unless a key is given.
  const salesforceKey = ensureSalesforceDevKey(resolve(projectRoot, process.env.RETAIL_STATE_DIR ?? '.state'));
  if (process.env.SALESFORCE_GRANT === 'jwt_bearer' && !process.env.SALESFORCE_LOGIN_URL && !process.env.SALESFORCE_JWT_KEY_FILE && !process.env.SALESFORCE_JWT_KEY) {
    process.env.SALESFORCE_JWT_KEY_FILE = salesforceKey.keyFile;
    process.env.SALESFORCE_USERNAME ??= 'integration@retail.example';
  }
  const config = configFromEnv();
  const codecServer = codecServerConfigFromEnv();
  const codecUrl = `http://${codecServer.host}:${codecServer.port}`;
  const withCodec = config.payloadCodec.encryption !== 'off';
  const children: Child[] = [];
  let server: DevServer | undefined;
  let client: Client | undefined;

  let stopping: Promise<void> | undefined;
  const stopAll = (reason: string) => {
    // The reverse of start-up: the worker drains in-flight work while its systems are still up.
    stopping ??= (async () => {
      if (!children.length && !(server && !server.reused)) return;
      say(`stopping (${reason})`);
      await client?.connection.close().catch(() => undefined);
      for (const child of [...children].reverse()) {
        say(`stopping ${child.name}`);
        await stopChild(child.process, child.graceMs);
      }
      if (server && !server.reused) {
        say('stopping temporal');
        await server.stop();
      }
      say('stopped');
    })();
    return stopping;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopAll(signal).then(() => process.exit(0)));

  try {
    // Invalid intake settings are one clear line before anything starts, like a port clash.
    const intake = intakeConfigFromEnv();
    // Ports first, so a clash is one clear line before anything starts.
    const urls = sandboxUrls(config);
    for (const [name, url] of Object.entries(urls)) {
      const { hostname, port } = new URL(url);
      if (await portInUse(hostname, Number(port))) throw new ProvisioningError(`port ${port} (sandbox ${name}) is already in use: is another \`npm start\` or \`npm run sandbox\` running?`);
    }
    const pubsubPort = Number(config.pubsub.endpoint.split(':').at(-1));
    if (await portInUse('127.0.0.1', pubsubPort)) throw new ProvisioningError(`port ${pubsubPort} (sandbox Salesforce Pub/Sub API) is already in use: is another \`npm start\` or \`npm run sandbox\` running?`);
    if (config.worker.metricsPort > 0 && (await portInUse('127.0.0.1', config.worker.metricsPort))) {
      throw new ProvisioningError(`port ${config.worker.metricsPort} (worker metrics) is already in use; set WORKER_METRICS_PORT or free it`);
    }

    if (config.temporal.address) {
      say(`using the Temporal server at ${config.temporal.address} (namespace ${config.temporal.namespace})`);
    } else {
      server = await startDevServer({ log: say, output: prefixed('temporal'), codecEndpoint: withCodec ? codecUrl : undefined });
    }
    client = await createClient(config);
    await client.workflowService.describeNamespace({ namespace: config.temporal.namespace });

    // The ERP's and the warehouse's webhooks go to the API's event route, signed with one shared secret
    // on a loopback API; off loopback each source has its own (EVENTS_HMAC_SECRET_<SOURCE>, SANDBOX_WEBHOOK_SECRET for the sandbox).
    const apiPort = Number(process.env.API_PORT ?? 3000);
    const sharedSecret = isLoopbackHost(process.env.API_HOST || '127.0.0.1') ? process.env.EVENTS_HMAC_SECRET || ensureWebhookSecret(config.stateDir) : undefined;
    const webhookSecret = process.env.SANDBOX_WEBHOOK_SECRET || sharedSecret;
    const webhooks = {
      SANDBOX_WEBHOOK_URL: process.env.SANDBOX_WEBHOOK_URL ?? `http://127.0.0.1:${apiPort}/v1/events`,
      SANDBOX_STOCK_WEBHOOK_URL: process.env.SANDBOX_STOCK_WEBHOOK_URL ?? `http://127.0.0.1:${apiPort}/v1/stock-events/{source}`,
      ...(webhookSecret ? { SANDBOX_WEBHOOK_SECRET: webhookSecret } : {}),
      // The sandbox's ERP and warehouse sign with their sources' own secrets when those are set.
      SANDBOX_WEBHOOK_SECRET_ERP: process.env.SANDBOX_WEBHOOK_SECRET_ERP || process.env.EVENTS_HMAC_SECRET_ERP,
      SANDBOX_WEBHOOK_SECRET_WAREHOUSE: process.env.SANDBOX_WEBHOOK_SECRET_WAREHOUSE || process.env.EVENTS_HMAC_SECRET_WAREHOUSE,
    };
    const sandbox = startChild('sandbox', 'sandbox/main.ts', { ...sandboxEnv(urls, config.pubsub.endpoint), ...webhooks, SANDBOX_SALESFORCE_JWT_CERT_FILE: salesforceKey.publicKeyFile }, 10_000);
    children.push(sandbox);
    await waitFor('the sandbox systems to answer', sandbox, 60_000, async () => (await Promise.all(Object.values(urls).map((u) => httpOk(`${u}/__sandbox/health`)))).every(Boolean));

    if (withCodec) {
      const codec = startChild('codec', 'src/starters/codec/main.ts', {}, 5_000);
      children.push(codec);
      await waitFor(`the codec server on ${codecUrl}`, codec, 30_000, () => httpOk(`${codecUrl}/healthz`));
    }

    // The worker loads the prebuilt workflow bundle; made here once when missing or stale, so the next starts skip bundling.
    const bundleDir = config.worker.workflowBundleDir ?? prebuiltBundleDir;
    if (!('bundle' in readPrebuiltBundle(bundleDir))) {
      say('building the workflow bundle (`npm run build` makes it ahead of time)');
      await writePrebuiltBundle(bundleDir, { logger: new DefaultLogger('WARN') });
    }
    const spawnedAt = Date.now() - 1_000;
    const worker = startChild('worker', 'src/workers/main.ts', { TEMPORAL_ADDRESS: config.temporal.address ?? server?.address }, config.worker.shutdownGraceMs + 10_000);
    children.push(worker);
    await waitFor('the worker to poll every task queue', worker, 120_000, () => workerPolling(client!, config, spawnedAt));
    let buildId: string | undefined;
    await waitFor('the worker to register its build', worker, 60_000, async () => (buildId = await pollingBuildId(client!, config, spawnedAt)) !== undefined);
    const deploymentName = config.worker.deploymentName!;
    await waitFor(`build ${buildId} to appear in deployment ${deploymentName}`, worker, 60_000, () => versionExists(client!, deploymentName, buildId!));
    const before = await describeDeployment(client, deploymentName);
    if (before.currentBuildId !== buildId) {
      await makeCurrentOnceRegistered(client, deploymentName, buildId!, 'npm start');
      say(`workflow build ${buildId} is now current in deployment ${deploymentName}${before.currentBuildId ? ` (was ${before.currentBuildId}; its pinned executions stay on it: npx retailctl versions list)` : ''}`);
    }
    const schedule = await ensureReconciliationSchedule(client, config);
    say(`reconciliation schedule ${schedule.scheduleId}: ${schedule.created ? 'created' : 'up to date'}`);
    const { orchestration: pricingQueue, salesforce, erp, warehouse, payments } = config.taskQueues;
    const feed = await startPricingFeed(client, { taskQueue: pricingQueue, taskQueues: { salesforce, erp, warehouse, payments }, settings: pricingConfigFromEnv() });
    say(`pricing feed ${feed.workflowId}: ${feed.existing ? 'already running' : 'started'}`);

    // Hook for the HTTP API (src/starters/http, port 3000): started here once its entry point exists.
    const apiEntry = 'src/starters/http/main.ts';
    if (existsSync(join(projectRoot, apiEntry))) {
      const api = startChild('api', apiEntry, { TEMPORAL_ADDRESS: config.temporal.address ?? server?.address, ...(sharedSecret ? { EVENTS_HMAC_SECRET: sharedSecret } : {}) }, 10_000);
      children.push(api);
      await waitFor(`the HTTP API on port ${apiPort}`, api, 60_000, () => portInUse('127.0.0.1', apiPort));
    }

    // The Salesforce intake (Pub/Sub API subscriber) comes last: it starts workflows, so the worker and API are up first.
    if (intake.enabled) {
      const subscriber = startChild('intake', 'src/starters/intake/main.ts', { TEMPORAL_ADDRESS: config.temporal.address ?? server?.address }, 10_000);
      children.push(subscriber);
    }

    const rows: [string, string][] = [
      ['Temporal gRPC', config.temporal.address ?? server!.address],
      ['Temporal Web UI', server?.uiUrl ?? '(the cluster\'s own UI)'],
      ...Object.entries(urls).map(([name, url]): [string, string] => [`sandbox ${name}`, url]),
      ['workflow build', `${config.worker.deploymentName} / ${buildId} (current)`],
      ['Salesforce Pub/Sub', `${config.pubsub.endpoint} (gRPC)`],
      ['intake', intake.enabled ? `following ${intake.topics.join(', ')}` : 'off (INTAKE_ENABLED=false)'],
      ['worker metrics', config.worker.metricsPort > 0 ? `http://127.0.0.1:${config.worker.metricsPort}/metrics` : 'off'],
      ['HTTP API', existsSync(join(projectRoot, apiEntry)) ? `http://127.0.0.1:${apiPort}` : '(not built yet)'],
      ['codec server', withCodec ? `${codecUrl} (payloads sealed with key ${config.payloadCodec.keys[0]?.id})` : 'off (PAYLOAD_ENCRYPTION=off)'],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    say('retail-orchestrator is up:');
    for (const [k, v] of rows) say(`  ${k.padEnd(width)}  ${v}`);
    say('Ctrl-C stops everything (the worker drains first); state is kept in .state/ for the next start');

    // Any component dying on its own takes the rest down: a half-running system is worse than none.
    await new Promise<void>((done) => {
      for (const child of children) child.process.once('exit', () => done());
    });
    const dead = children.find((c) => c.exited);
    if (!stopping && dead) {
      await stopAll(`${dead.name} exited (${dead.exited})`);
      process.exit(1);
    }
  } catch (err) {
    console.error(err instanceof ProvisioningError ? `npm start: ${err.message}` : err);
    await stopAll('start-up failed');
    process.exit(1);
  }
}

void main();
