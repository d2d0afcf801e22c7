import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { admin } from '../test/helpers/sandbox';
import { peakPerWindow } from '../test/helpers/rates';
import { apiConfig } from '../src/config/api';
import { eventsConfig } from '../src/config/events';
import { stockShard } from '../src/domain/stock-event';
import { createLogger } from '../src/observability/logger';
import { buildApp } from '../src/starters/http/app';
import { sign } from '../src/starters/http/events/signature';
import { stockSyncStateQuery, stockSyncWorkflowId } from '../src/workflows/stock-sync';
import { startBenchEnvironment } from './lib/environment';
import { runConcurrently, summarize, runBenchmark } from './lib/measure';

/**
 * npm run bench:stock — a flash sale's stock counts: signed ERP and warehouse stock.changed events for
 * many SKU-locations, shuffled (many arrive after a later count) with duplicates, posted in batches to
 * POST /v1/stock-events/{source} with the real workers and sandbox, one run: events per second
 * accepted, time until every Product_Availability__c shows its SKU-location's last count, Salesforce
 * calls per event, their peak and sustained rate against the queue's limit, and events lost.
 *   BENCH_EVENTS (default 10000), BENCH_SKUS (default 100), BENCH_LOCATIONS (default 5), BENCH_BATCH (default 250),
 *   BENCH_CONCURRENCY (default 4 requests in flight), BENCH_SHARDS (default 4), RATE_LIMIT_SALESFORCE (default 25/s)
 */
const total = Number(process.env.BENCH_EVENTS ?? 10_000);
const skuCount = Number(process.env.BENCH_SKUS ?? 100);
const locationCount = Number(process.env.BENCH_LOCATIONS ?? 5);
const batchSize = Number(process.env.BENCH_BATCH ?? 250);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);
const shards = Number(process.env.BENCH_SHARDS ?? 4);

interface StockEvent { id: string; type: 'stock.changed'; sku: string; location: string; onHand: number; reserved: number; sequence: number; occurredAt: string; source: 'erp' | 'warehouse' }

async function main(): Promise<void> {
  const bench = await startBenchEnvironment();
  try {
    const secret = randomBytes(24).toString('hex');
    const app = await buildApp({
      client: bench.env.client,
      config: bench.config,
      api: apiConfig({ rateLimitMax: 1_000_000 }),
      logger: createLogger({ level: 'error', format: 'json' }),
      events: eventsConfig({ secrets: { erp: secret, warehouse: secret }, stockShards: shards }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    // Per SKU-location: the warehouse counts at even locations, the ERP at odd ones; sequence 1.. with stock falling; every tenth event sent twice.
    const run = Date.now().toString(36);
    const keys = Array.from({ length: locationCount }, (_, l) => Array.from({ length: skuCount }, (_, s) => ({ sku: `SKU-${s}`, location: `LOC-${run}-${l}`, source: (l % 2 ? 'erp' : 'warehouse') as StockEvent['source'] }))).flat();
    const t0 = Date.now() - 3_600_000;
    const events: StockEvent[] = [];
    const expected = new Map<string, { onHand: number; sequence: number }>();
    for (let i = 0; events.length < total; i++) {
      const key = keys[i % keys.length];
      const sequence = Math.floor(i / keys.length) + 1;
      const event: StockEvent = { id: `evt-${key.source}-${key.location}-${key.sku}-${sequence}`, type: 'stock.changed', sku: key.sku, location: key.location, onHand: 10_000 - sequence, reserved: sequence % 5, sequence, occurredAt: new Date(t0 + sequence * 1000).toISOString(), source: key.source };
      events.push(event);
      if (i % 10 === 9 && events.length < total) events.push(event);
      expected.set(`${key.sku}@${key.location}`, { onHand: event.onHand, sequence });
    }
    for (let i = events.length - 1; i > 0; i--) {
      const j = (i * 7919 + 13) % (i + 1);
      [events[i], events[j]] = [events[j], events[i]];
    }
    const batches = (['erp', 'warehouse'] as const).flatMap((source) => {
      const own = events.filter((e) => e.source === source).map(({ source: _s, ...e }) => e);
      return Array.from({ length: Math.ceil(own.length / batchSize) }, (_, b) => ({ source, events: own.slice(b * batchSize, (b + 1) * batchSize) }));
    });

    const since = Date.now();
    const started = performance.now();
    let accepted = 0;
    const posting = await runConcurrently(batches.length, concurrency, async (i) => {
      const { source, events: batch } = batches[i];
      const raw = JSON.stringify({ events: batch });
      const res = await fetch(`${url}/v1/stock-events/${source}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-retail-signature': sign(secret, source, raw, Math.floor(Date.now() / 1000)) }, body: raw });
      const body = (await res.json()) as { accepted: number };
      if (res.status !== 202) throw new Error(`POST /v1/stock-events/${source}: ${res.status} ${JSON.stringify(body)}`);
      accepted += body.accepted;
    });
    const acceptedMs = performance.now() - started;

    let stale = expected.size;
    for (;;) {
      const state = (await (await fetch(`${bench.sandbox.urls.salesforce}/__sandbox/state`)).json()) as { records: { Product_Availability__c?: Record<string, { Availability_Key__c: string; On_Hand__c: number; Stock_Version__c: number }> } };
      const records = new Map(Object.values(state.records.Product_Availability__c ?? {}).map((r) => [r.Availability_Key__c, r]));
      stale = [...expected].filter(([k, want]) => records.get(k)?.Stock_Version__c !== want.sequence || records.get(k)?.On_Hand__c !== want.onHand).length;
      if (stale === 0) break;
      if (performance.now() - started > 300_000) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const convergedMs = performance.now() - started;
    const { requests } = await admin(bench.sandbox.urls.salesforce!).requests(since);
    const writes = requests.filter((r) => r.method === 'PATCH' && r.path.includes('/composite/sobjects/Product_Availability__c/'));
    const times = writes.map((w) => w.at);
    const spanS = times.length > 1 ? (Math.max(...times) - Math.min(...times)) / 1000 : 0;

    const workflowIds = new Set([...expected.keys()].map((k) => { const [sku, location] = k.split('@'); return stockSyncWorkflowId(location, stockShard(sku, shards)); }));
    const states = await Promise.all([...workflowIds].map((id) => bench.env.client.workflow.getHandle(id).query(stockSyncStateQuery)));
    const sum = (f: (s: (typeof states)[number]) => number) => states.reduce((n, s) => n + f(s), 0);
    const rate = bench.config.rateLimits.salesforce;

    console.log(`bench:stock — ${events.length} stock events (${accepted} accepted) for ${expected.size} SKU-locations (${locationCount} locations × ${skuCount} SKUs, ${workflowIds.size} stockSync shards) in ${batches.length} signed batches of ≤${batchSize}, ${concurrency} in flight; Salesforce queue limit ${rate}/s`);
    console.table([
      { measure: 'accepted (HTTP 202)', events: events.length, ms: Math.round(acceptedMs), eventsPerSecond: Math.round(events.length / (acceptedMs / 1000)) },
      { measure: 'converged (Salesforce shows every last count)', events: events.length, ms: Math.round(convergedMs), eventsPerSecond: Math.round(events.length / (convergedMs / 1000)) },
    ]);
    console.table([summarize('POST /v1/stock-events batch', batches.length, posting)]);
    console.log(`Salesforce calls: ${writes.length} sObject Collections upserts for ${events.length} events = ${(writes.length / events.length).toFixed(4)} per event; ${sum((s) => s.salesforce.recordsWritten)} records written (${(sum((s) => s.salesforce.recordsWritten) / events.length).toFixed(3)} per event)`);
    console.log(`Salesforce rate: peak ${peakPerWindow(times, 1000)} calls in any 1 s, ${spanS > 0 ? (writes.length / spanS).toFixed(2) : writes.length} calls/s sustained over ${spanS.toFixed(1)} s; queue limit ${rate}/s (token bucket: a second's tokens may go at once)`);
    console.log(`Events: ${sum((s) => s.events.received)} received by the workflows, ${sum((s) => s.events.applied)} applied, ${sum((s) => s.events.duplicates)} duplicates and ${sum((s) => s.events.outOfOrder)} out of order ignored; lost ${events.length - sum((s) => s.events.received)}; SKU-locations not at their last count: ${stale}`);
    await app.close();
  } finally {
    await bench.close();
  }
}

runBenchmark(main);
