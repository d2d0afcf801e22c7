import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Sandbox } from '../../sandbox';
import type { World, WorldCase, WorldOrder } from '../../sandbox/seed/world';
import { buildActivities } from '../../src/activities';
import { configFromEnv, type Config } from '../../src/config';
import { apiConfig, hashApiKey, type ApiConfigInput } from '../../src/config/api';
import { createLogger } from '../../src/observability/logger';
import { createOrderOverview } from '../../src/services/order-overview';
import { buildApp, type AppDeps } from '../../src/starters/http/app';
import { createWorkers, shutdownWorkers } from '../../src/workers/workers';
import type { CaseContext } from '../../src/workflows/lib/case-context';
import { configFor, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv } from '../helpers/temporal';
import { eventually, openCase } from '../workflows/case-resolution-world';
import { testCodecEnv } from '../helpers/codec';

/**
 * The HTTP API over a real socket against the dev server, a sandbox and (optionally) the real
 * workers on queues of its own, with three keys: every scope, start+read (a Flow), read only.
 */
export const keys = { ops: newKey(), flow: newKey(), reader: newKey() };

function newKey(): string {
  return `rk_test_${randomBytes(16).toString('hex')}`;
}

export const testKeys = [
  { name: 'ops', sha256: hashApiKey(keys.ops), scopes: ['start', 'signal', 'read', 'events'] as const },
  { name: 'flow', sha256: hashApiKey(keys.flow), scopes: ['start', 'read'] as const },
  { name: 'reader', sha256: hashApiKey(keys.reader), scopes: ['read'] as const },
].map((k) => ({ ...k, scopes: [...k.scopes] }));

export interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

export interface CallOptions {
  key?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface ApiWorld {
  env: TestWorkflowEnvironment;
  sandbox?: Sandbox;
  config: Config;
  app: FastifyInstance;
  url: string;
  call: (method: string, path: string, options?: CallOptions) => Promise<Reply>;
  close: () => Promise<void>;
}

export async function startApiWorld(options: { api?: ApiConfigInput; workers?: boolean; sandbox?: boolean; overview?: boolean; deps?: Partial<AppDeps>; env?: Record<string, string> } = {}): Promise<ApiWorld> {
  const env = await getTestEnv();
  const sandbox = options.sandbox === false ? undefined : await startTestSandbox();
  const config = sandbox ? configFor(sandbox, { ...isolatedQueueEnv('http'), ...options.env }) : configForNoSandbox();
  let workers: Worker[] = [];
  let running: Promise<unknown> | undefined;
  let closeActivities = async (): Promise<void> => undefined;
  if (options.workers) {
    const activities = buildActivities(config);
    closeActivities = () => activities.close();
    workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle: await getWorkflowBundle(), activities });
    running = Promise.all(workers.map((w) => w.run()));
  }
  const overview = options.overview ? createOrderOverview(config) : undefined;
  const app = await buildApp({
    client: env.client,
    overview: overview && ((orderNumber) => overview.overview(orderNumber)),
    config,
    api: apiConfig({ keys: testKeys, ...options.api }),
    logger: createLogger({ level: 'error', format: 'json' }),
    ...options.deps,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    env,
    sandbox,
    config,
    app,
    url,
    call: (method, path, o = {}) => call(url, method, path, o),
    close: async () => {
      await app.close();
      if (running) {
        shutdownWorkers(workers);
        await running;
      }
      await closeActivities();
      overview?.close();
      await sandbox?.close();
    },
  };
}

function configForNoSandbox(): Config {
  return configFromEnv({ LOG_LEVEL: 'error', ...testCodecEnv, ...isolatedQueueEnv('http') });
}

export async function call(url: string, method: string, path: string, o: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...o.headers };
  const key = o.key === undefined ? keys.ops : o.key;
  if (key !== null) headers['x-api-key'] = key;
  let body: string | undefined = o.rawBody;
  if (o.body !== undefined) body = JSON.stringify(o.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${url}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // Not JSON (metrics, docs): the text is there.
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** A fresh copy of a seeded case whose order (and case) fits, with the facts Salesforce and the ERP hold for it. */
export function caseFor(sandbox: Sandbox, fits: (order: WorldOrder, world: World, kase: WorldCase) => boolean): CaseContext & { order: WorldOrder; seededCaseNumber: string } {
  const world = sandbox.world();
  for (const seeded of world.cases) {
    const order = world.orders.find((o) => o.orderNumber === seeded.orderNumber)!;
    if (!fits(order, world, seeded)) continue;
    const customer = world.customers.find((c) => c.customerId === order.customerId)!;
    const opened = openCase(sandbox, seeded.caseNumber);
    return { caseId: opened.caseId, caseNumber: opened.caseNumber, orderNumber: order.orderNumber, customerId: order.customerId, storeId: order.storeId, region: order.region, segment: customer.segment, channel: order.channel, order, seededCaseNumber: seeded.caseNumber };
  }
  throw new Error('no seeded case fits');
}

/** POST /v1/refunds for a case, then polls its status until it is no longer RUNNING; `context` (e.g. a worker's output) explains a failure. */
export async function refundToEnd(world: ApiWorld, caseNumber: string, caseId: string, context: () => string = () => ''): Promise<Reply> {
  const started = await world.call('POST', '/v1/refunds', { key: keys.flow, body: { caseNumber, caseId } });
  assert.equal(started.status, 202, started.text);
  const ended = await eventually(async () => {
    const p = await world.call('GET', String(started.body.statusUrl), { key: keys.reader });
    return p.body.status !== 'RUNNING' ? p : undefined;
  }, 90_000, 'the refund to end');
  assert.equal(ended.body.status, 'COMPLETED', `${ended.text}\n${context().slice(-3000)}`);
  return ended;
}

export const paidByCard = (order: WorldOrder, world: World) => world.payments.find((p) => p.paymentId === order.paymentId)?.method === 'card';
export const segmentOf = (order: WorldOrder, world: World) => world.customers.find((c) => c.customerId === order.customerId)!.segment;

/** The problem shape every error shares; application/json unless the request's Accept asked for application/problem+json. */
export function assertProblem(reply: Reply, status: number, type?: string, mediaType: 'application/json' | 'application/problem+json' = 'application/json'): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal((reply.headers.get('content-type') ?? '').split(';')[0], mediaType);
  assert.equal(reply.body.status, status);
  for (const field of ['type', 'title', 'detail', 'instance', 'requestId']) assert.equal(typeof reply.body[field], 'string', `problem.${field}`);
  assert.equal(reply.body.requestId, reply.headers.get('x-request-id'));
  if (type) assert.equal(reply.body.type, `/problems/${type}`);
}
