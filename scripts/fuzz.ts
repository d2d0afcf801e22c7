import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DefaultLogger } from '@temporalio/worker';
import { buildActivities } from '../src/activities';
import { ApiScopes, apiConfig, hashApiKey } from '../src/config/api';
import { eventsConfig } from '../src/config/events';
import { createLogger } from '../src/observability/logger';
import { createOrderOverview } from '../src/services/order-overview';
import { buildApp } from '../src/starters/http/app';
import { bundleWorkflows } from '../src/workers/bundle';
import { createWorkers, shutdownWorkers } from '../src/workers/workers';
import { configFor, startTestSandbox } from '../test/helpers/sandbox';
import { getTestEnv, isolatedQueueEnv, teardownTestEnv } from '../test/helpers/temporal';
import { projectRoot } from './temporal-cli';

/**
 * `npm run fuzz`: schemathesis generates requests from the API's own /openapi.json and checks every
 * answer: no 5xx, every status and content type documented, every body matching its schema, every
 * error a problem document. The API runs here in its fuzz profile (one key with every scope, limits
 * raised for the run) against a dev server, the sandbox and the real workers. Not part of `npm test`.
 *
 * FUZZ_MAX_EXAMPLES (per operation and phase, default 250) sizes the run; the request count comes
 * from the API's own metrics, so it is what the server answered, not what was planned.
 */
const venv = join(projectRoot, '.tools', 'fuzz-venv');
const schemathesis = join(venv, 'bin', 'schemathesis');

function ensureSchemathesis(): void {
  if (existsSync(schemathesis)) return;
  console.log(`fuzz: installing schemathesis into ${venv} (once)`);
  const steps: [string, string[]][] = [
    ['python3', ['-m', 'venv', venv]],
    [join(venv, 'bin', 'pip'), ['install', '--quiet', 'schemathesis==4.*']],
  ];
  for (const [command, args] of steps) {
    const done = spawnSync(command, args, { stdio: 'inherit' });
    if (done.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${done.status ?? done.signal}); Python 3.9+ with venv is needed`);
  }
}

/** Sums http_requests_total from the API's Prometheus text, per status class. */
async function answered(url: string): Promise<{ total: number; byStatus: Record<string, number> }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const byStatus: Record<string, number> = {};
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^http_requests_total\{([^}]*)\} (\d+(?:\.\d+)?)/.exec(line);
    if (!match) continue;
    const status = /status="(\d+)"/.exec(match[1])?.[1] ?? '?';
    const count = Number(match[2]);
    byStatus[status] = (byStatus[status] ?? 0) + count;
    total += count;
  }
  return { total, byStatus };
}

async function main(): Promise<number> {
  ensureSchemathesis();
  const maxExamples = process.env.FUZZ_MAX_EXAMPLES ?? '250';
  const env = await getTestEnv();
  const sandbox = await startTestSandbox();
  const config = configFor(sandbox, { ...isolatedQueueEnv('fuzz'), LOG_LEVEL: 'error' });
  const activities = buildActivities(config);
  const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle: await bundleWorkflows(new DefaultLogger('ERROR')), activities });
  const running = Promise.all(workers.map((w) => w.run()));
  const overview = createOrderOverview(config);
  const key = `rk_fuzz_${randomBytes(24).toString('base64url')}`;
  const secret = randomBytes(32).toString('hex');
  // The fuzz profile: every scope, limits out of the way (limits have their own tests), short update waits.
  const app = await buildApp({
    client: env.client,
    config,
    api: apiConfig({ keys: [{ name: 'fuzz', sha256: hashApiKey(key), scopes: [...ApiScopes] }], rateLimitMax: 10_000_000, updateTimeoutMs: 5_000 }),
    events: eventsConfig({ secrets: { erp: secret, warehouse: secret, carrier: secret, payments: secret }, rateLimitPerSource: 10_000_000, rateLimitUnsignedPerAddress: 10_000_000 }),
    overview: (orderNumber) => overview.overview(orderNumber),
    logger: createLogger({ level: 'error', format: 'json' }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  console.log(`fuzz: API at ${url}, schemathesis with --max-examples ${maxExamples}`);

  const args = [
    'run',
    `${url}/openapi.json`,
    '--checks',
    // content_type_either is content_type_conformance that takes application/json and problem+json alike for errors.
    'not_a_server_error,status_code_conformance,content_type_either,response_schema_conformance,problem_document',
    '--header',
    `X-API-Key: ${key}`,
    '--max-examples',
    maxExamples,
    '--request-timeout',
    '30',
    '--no-color',
  ];
  const code = await new Promise<number>((resolve) => {
    // The hooks module adds the problem_document check (either error media type is accepted).
    const child = spawn(schemathesis, args, { stdio: 'inherit', env: { ...process.env, SCHEMATHESIS_HOOKS: 'fuzz_checks', PYTHONPATH: join(projectRoot, 'scripts') } });
    child.once('exit', (exitCode) => resolve(exitCode ?? 1));
  });

  const { total, byStatus } = await answered(url);
  const served = Object.entries(byStatus).sort().map(([status, n]) => `${status}: ${n}`).join(', ');
  const serverErrors = Object.entries(byStatus).filter(([status]) => status.startsWith('5')).reduce((n, [, c]) => n + c, 0);
  console.log(`fuzz: ${total} requests answered (${served}); ${serverErrors} server errors; schemathesis exit ${code}`);
  await app.close();
  shutdownWorkers(workers);
  await running;
  await activities.close();
  overview.close();
  await sandbox.close();
  await teardownTestEnv();
  return code === 0 && serverErrors === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`fuzz: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
