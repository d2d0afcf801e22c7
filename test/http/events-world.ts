import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Sandbox } from '../../sandbox';
import { buildActivities } from '../../src/activities';
import type { Config } from '../../src/config';
import { apiConfig } from '../../src/config/api';
import { eventsConfig, type OrderSyncSettingsInput } from '../../src/config/events';
import { createLogger } from '../../src/observability/logger';
import { buildApp } from '../../src/starters/http/app';
import { sign } from '../../src/starters/http/events/signature';
import { createWorkers, shutdownWorkers } from '../../src/workers/workers';
import { admin, configFor, freePort, startTestSandbox, type RequestMark } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv } from '../helpers/temporal';
import { call, testKeys, type Reply } from './api-world';

/**
 * POST /v1/events/{source} over a socket, with the real workers and a sandbox whose ERP and
 * warehouse send their webhooks to this API: signatures, dedup and ordering, the sandbox's own
 * webhooks end to end, and a burst whose Salesforce writes stay under the queue's rate limit.
 */
export interface EventsWorld {
  env: TestWorkflowEnvironment;
  sandbox: Sandbox;
  config: Config;
  app: FastifyInstance;
  url: string;
  secret: string;
  post: (source: string, body: unknown, o?: { secret?: string; at?: number; signature?: string; key?: string | null; path?: string; headers?: Record<string, string> }) => Promise<Reply>;
  close: () => Promise<void>;
}

export async function startEventsWorld(options: { salesforceRate?: number; orderSync?: OrderSyncSettingsInput } = {}): Promise<EventsWorld> {
  const env = await getTestEnv();
  const secret = randomBytes(24).toString('hex');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // The sandbox posts both systems' webhooks to one URL, naming the source in X-Retail-Event-Source.
  const sandbox = await startTestSandbox(undefined, { webhookUrl: `${url}/v1/events`, webhookSecret: secret });
  const config = configFor(sandbox, { ...isolatedQueueEnv('events'), RATE_LIMIT_SALESFORCE: String(options.salesforceRate ?? 20) });
  const activities = buildActivities(config);
  const workers: Worker[] = await createWorkers(config, { connection: env.nativeConnection, workflowBundle: await getWorkflowBundle(), activities });
  const running = Promise.all(workers.map((w) => w.run()));
  const app = await buildApp({
    client: env.client,
    config,
    api: apiConfig({ keys: testKeys, rateLimitMax: 100_000 }),
    logger: createLogger({ level: 'error', format: 'json' }),
    events: eventsConfig({
      secrets: { erp: secret, warehouse: secret, carrier: secret, payments: secret },
      orderSync: { coalesceWindow: '2 seconds', closeAfterCompleteGrace: '1 hour', ...options.orderSync },
    }),
  });
  await app.listen({ host: '127.0.0.1', port });
  return {
    env,
    sandbox,
    config,
    app,
    url,
    secret,
    post: (source, body, o = {}) => {
      const raw = JSON.stringify(body);
      const signature = o.signature ?? sign(o.secret ?? secret, source, raw, o.at ?? Math.floor(Date.now() / 1000));
      return call(url, 'POST', o.path ?? `/v1/events/${source}`, { rawBody: raw, key: o.key === undefined ? null : o.key, headers: { 'x-retail-signature': signature, ...o.headers } });
    },
    close: async () => {
      await app.close();
      shutdownWorkers(workers);
      await running;
      await activities.close();
      await sandbox.close();
    },
  };
}

/** The Salesforce sandbox's Order records by order number. */
export async function salesforceOrders(sandbox: Sandbox): Promise<Map<string, Record<string, unknown>>> {
  const state = (await (await fetch(`${sandbox.urls.salesforce}/__sandbox/state`)).json()) as { records: Record<string, Record<string, Record<string, unknown>>> };
  return new Map(Object.values(state.records.Order ?? {}).map((r) => [String(r.Order_Number__c), r]));
}

/** PATCH /sobjects/Order/... requests (upserts by external id) the Salesforce sandbox served after the mark `since`. */
export async function orderUpserts(sandbox: Sandbox, since: RequestMark = { after: 0 }): Promise<{ at: number; path: string; status: number }[]> {
  const { requests } = await admin(sandbox.urls.salesforce!).requests(since);
  return requests.filter((r) => r.method === 'PATCH' && /\/sobjects\/Order\//.test(r.path));
}

export const erpEvent = (orderNumber: string, sequence: number, status: string, at = Date.now()) => ({
  id: `evt-erp-${orderNumber}-${sequence}`,
  type: 'order.status_changed',
  orderNumber,
  status,
  sequence,
  occurredAt: new Date(at).toISOString(),
});
