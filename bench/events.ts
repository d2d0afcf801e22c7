import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DefaultLogger } from '@temporalio/worker';
import { admin, configFor } from '../test/helpers/sandbox';
import { buildActivities } from '../src/activities';
import type { Config } from '../src/config';
import { apiConfig } from '../src/config/api';
import { eventsConfig } from '../src/config/events';
import { createLogger } from '../src/observability/logger';
import { buildApp } from '../src/starters/http/app';
import { sign } from '../src/starters/http/events/signature';
import { bundleWorkflows } from '../src/workers/bundle';
import { createWorkers, shutdownWorkers } from '../src/workers/workers';
import { startBenchEnvironment } from './lib/environment';
import { runConcurrently, summarize, runBenchmark } from './lib/measure';

/**
 * npm run bench:events — a burst of signed ERP and warehouse events for many orders, posted in
 * batches to POST /v1/events/{source} over a real socket with the real workers and sandbox. Two passes
 * in the same run, each on orders and task queues of its own:
 *   before — the fixed coalescing window, one signal-with-start per order per request (EVENTS_SIGNAL_CONCURRENCY
 *            per request, no shared lanes), one Salesforce upsert request per order write;
 *   now    — today's defaults: the adaptive window (up to ORDER_SYNC_MAX_COALESCE_WINDOW), shared delivery lanes
 *            (EVENTS_DELIVERY_LANES), and order writes gathered into collections calls (SALESFORCE_ORDER_BATCH_WINDOW_MS).
 * Each prints events per second accepted (HTTP 202), events per second applied (every Salesforce Order shows
 * its last event), and Salesforce write requests per event (single upserts and collections calls, from the
 * sandbox's request log), then the ratios.
 *   BENCH_ORDERS (default 300 per pass), BENCH_EVENTS_PER_ORDER (default 10), BENCH_BATCH (default 100),
 *   BENCH_CONCURRENCY (default 4 requests in flight), RATE_LIMIT_SALESFORCE (default 25/s), BENCH_WINDOW (default '2 seconds'),
 *   BENCH_MAX_WINDOW (default '30 seconds'), BENCH_SIGNAL_CONCURRENCY (default: the API's EVENTS_SIGNAL_CONCURRENCY default),
 *   BENCH_DELIVERY_LANES and BENCH_ORDER_BATCH_WINDOW_MS (default: the defaults of EVENTS_DELIVERY_LANES and SALESFORCE_ORDER_BATCH_WINDOW_MS)
 */
const orderCount = Number(process.env.BENCH_ORDERS ?? 300);
const perOrder = Number(process.env.BENCH_EVENTS_PER_ORDER ?? 10);
const batchSize = Number(process.env.BENCH_BATCH ?? 100);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);
const window = process.env.BENCH_WINDOW ?? '2 seconds';
const maxWindow = process.env.BENCH_MAX_WINDOW ?? '30 seconds';
const signalConcurrency = process.env.BENCH_SIGNAL_CONCURRENCY ? Number(process.env.BENCH_SIGNAL_CONCURRENCY) : undefined;
const deliveryLanes = process.env.BENCH_DELIVERY_LANES ? Number(process.env.BENCH_DELIVERY_LANES) : undefined;
const orderBatchWindowMs = process.env.BENCH_ORDER_BATCH_WINDOW_MS;
const rateLimit = process.env.RATE_LIMIT_SALESFORCE;
const sfLabel: Record<string, string> = { allocated: 'Activated', shipped: 'Shipped', delivered: 'Delivered', cancelled: 'Cancelled' };

type Bench = Awaited<ReturnType<typeof startBenchEnvironment>>;

interface PassResult {
  pass: string;
  events: number;
  acceptedPerSecond: number;
  appliedPerSecond: number;
  batchP50Ms: number;
  batchP99Ms: number;
  salesforceWrites: number;
  writesPerEvent: number;
}

interface PassSettings {
  orderSync: { coalesceWindow: string; maxCoalesceWindow: string };
  /** 0: one signal-with-start per order per request, as before the shared lanes. */
  deliveryLanes?: number;
}

/** One pass: the API with these settings over workers of this config, the burst for these orders, until Salesforce converged. */
async function pass(bench: Bench, config: Config, label: string, orders: string[], settings: PassSettings, tag: string): Promise<PassResult> {
  const secret = randomBytes(24).toString('hex');
  const app = await buildApp({
    client: bench.env.client,
    config,
    api: apiConfig({ rateLimitMax: 1_000_000 }),
    logger: createLogger({ level: 'error', format: 'json' }),
    events: eventsConfig({
      secrets: { erp: secret, warehouse: secret },
      orderSync: settings.orderSync,
      ...(signalConcurrency ? { signalConcurrency } : {}),
      ...(settings.deliveryLanes !== undefined ? { deliveryLanes: settings.deliveryLanes } : {}),
    }),
  });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    // Per order: ERP status changes (sequence 2, 3, …) ending shipped or delivered, warehouse parcel events, duplicates; interleaved across orders.
    const expected = new Map<string, string>();
    const bySource: Record<'erp' | 'warehouse', Record<string, unknown>[]> = { erp: [], warehouse: [] };
    const t0 = Date.now() - 3_600_000;
    orders.forEach((n, i) => {
      const statuses = ['allocated', 'shipped', 'delivered'].slice(0, 2 + (i % 2));
      const own: ['erp' | 'warehouse', Record<string, unknown>][] = statuses.map((status, k) => ['erp', { id: `evt-erp-${n}-${k + 2}`, type: 'order.status_changed', orderNumber: n, status, sequence: k + 2, occurredAt: new Date(t0 + k * 60_000).toISOString() }]);
      own.push(['warehouse', { id: `WEV-${tag}-${i}-1`, type: 'shipment.shipped', orderNumber: n, releaseId: `REL-${tag}-${i}`, shipmentId: `SHP-${tag}-${i}`, trackingNumber: `1ZBENCH${tag}${i}`, carrier: 'UPS', sequence: 1, occurredAt: new Date(t0 + 60_000).toISOString() }]);
      for (let d = 0; own.length < perOrder; d++) own.push(own[d % own.length]);
      expected.set(n, sfLabel[statuses.at(-1)!]);
      for (const [source, event] of own) bySource[source].push(event);
    });
    const interleave = (events: Record<string, unknown>[]) => events.map((e, i) => ({ e, k: (i * 7919) % events.length })).sort((a, b) => a.k - b.k).map(({ e }) => e);
    const batches = (['erp', 'warehouse'] as const).flatMap((source) => {
      const events = interleave(bySource[source]);
      return Array.from({ length: Math.ceil(events.length / batchSize) }, (_, b) => ({ source, events: events.slice(b * batchSize, (b + 1) * batchSize) }));
    });
    const total = batches.reduce((n, b) => n + b.events.length, 0);

    const since = Date.now();
    const started = performance.now();
    let accepted = 0;
    const posting = await runConcurrently(batches.length, concurrency, async (i) => {
      const { source, events } = batches[i];
      const raw = JSON.stringify({ events });
      const res = await fetch(`${url}/v1/events/${source}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-retail-signature': sign(secret, source, raw, Math.floor(Date.now() / 1000)) }, body: raw });
      const body = (await res.json()) as { accepted: number };
      if (res.status !== 202) throw new Error(`POST /v1/events/${source}: ${res.status} ${JSON.stringify(body)}`);
      accepted += body.accepted;
    });
    const acceptedMs = performance.now() - started;
    if (accepted !== total) throw new Error(`${label}: ${accepted} of ${total} events accepted`);

    for (;;) {
      const state = (await (await fetch(`${bench.sandbox.urls.salesforce}/__sandbox/state`)).json()) as { records: { Order: Record<string, { Order_Number__c: string; Status: string }> } };
      const records = new Map(Object.values(state.records.Order).map((r) => [r.Order_Number__c, r.Status]));
      if ([...expected].every(([n, status]) => records.get(n) === status)) break;
      if (performance.now() - started > 300_000) throw new Error(`${label}: Salesforce did not converge within 300 s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const appliedMs = performance.now() - started;
    // Single upserts of this pass's orders, and collections calls (only this pass's workers make them).
    const { requests } = await admin(bench.sandbox.urls.salesforce!).requests(since);
    const mine = new Set(orders.flatMap((n) => [`/${encodeURIComponent(n)}`, `/${n}`]));
    const writes = requests.filter((r) => r.method === 'PATCH' && /\/sobjects\/Order\//.test(r.path) && (r.path.endsWith('/Order_Number__c') || mine.has(r.path.slice(r.path.lastIndexOf('/'))))).length;
    const batch = summarize('POST /v1/events batch', batches.length, posting);
    return {
      pass: label,
      events: total,
      acceptedPerSecond: Math.round(total / (acceptedMs / 1000)),
      appliedPerSecond: Math.round(total / (appliedMs / 1000)),
      batchP50Ms: batch.p50Ms,
      batchP99Ms: batch.p99Ms,
      salesforceWrites: writes,
      writesPerEvent: Number((writes / total).toFixed(3)),
    };
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const limits: Record<string, string> = rateLimit ? { RATE_LIMIT_SALESFORCE: rateLimit } : {};
  // The main workers write each order on its own, as before; the second set gathers order writes (today's default unless overridden).
  const bench = await startBenchEnvironment({ world: { orders: Math.max(480, 2 * orderCount) }, env: { ...limits, SALESFORCE_ORDER_BATCH_WINDOW_MS: '0' } });
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const nowConfig = configFor(bench.sandbox, {
    TEMPORAL_NAMESPACE: bench.env.namespace ?? 'default',
    ...Object.fromEntries(['ORCHESTRATION', 'SALESFORCE', 'ERP', 'WAREHOUSE', 'PAYMENTS'].map((q) => [`TASK_QUEUE_${q}`, `bench-${run}-now-${q.toLowerCase()}`])),
    LOG_LEVEL: 'error',
    ...limits,
    ...(orderBatchWindowMs ? { SALESFORCE_ORDER_BATCH_WINDOW_MS: orderBatchWindowMs } : {}),
  });
  const nowActivities = buildActivities(nowConfig);
  const nowWorkers = await createWorkers(nowConfig, { connection: bench.env.nativeConnection, workflowBundle: await bundleWorkflows(new DefaultLogger('ERROR')), activities: nowActivities });
  const nowRunning = Promise.all(nowWorkers.map((w) => w.run()));
  try {
    const all = bench.sandbox.world().orders.map((o) => o.orderNumber);
    const before = await pass(bench, bench.config, `before: fixed window ${window}, per-request signals, single upserts`, all.slice(0, orderCount), { orderSync: { coalesceWindow: window, maxCoalesceWindow: window }, deliveryLanes: 0 }, 'F');
    const now = await pass(bench, nowConfig, `now: adaptive ${window} → ${maxWindow}, shared lanes, batched upserts`, all.slice(orderCount, 2 * orderCount), { orderSync: { coalesceWindow: window, maxCoalesceWindow: maxWindow }, deliveryLanes }, 'A');
    console.log(
      `bench:events — per pass ${before.events} events for ${orderCount} orders in signed batches of ≤${batchSize}, ${concurrency} requests in flight, ` +
        `signal-with-start concurrency per request ${signalConcurrency ?? 'default'} (before), delivery lanes ${deliveryLanes ?? 'default'} (now), ` +
        `order batch window ${nowConfig.salesforce.orderBatchWindowMs} ms (now); Salesforce queue limit ${bench.config.rateLimits.salesforce}/s`,
    );
    console.table([before, now]);
    const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
    console.log(
      `now vs before: accepted/s ×${ratio(now.acceptedPerSecond, before.acceptedPerSecond)}, applied/s ×${ratio(now.appliedPerSecond, before.appliedPerSecond)}, ` +
        `writes per event ${now.writesPerEvent} vs ${before.writesPerEvent} (×${ratio(now.writesPerEvent, before.writesPerEvent)})`,
    );
  } finally {
    shutdownWorkers(nowWorkers);
    await nowRunning;
    await nowActivities.close();
    await bench.close();
  }
}

runBenchmark(main);
