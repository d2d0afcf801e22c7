import { resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { OrderEvent } from '../src/domain/order-event';
import type { RefundInput } from '../src/workflows/refund';
import { refundStateQuery } from '../src/workflows/refund';
import { orderEventSignal, orderSyncStateQuery, orderSyncWorkflowId, type orderSync } from '../src/workflows/order-sync';
import { configFor, freePort, sandboxUrlEnv, startTestSandbox } from '../test/helpers/sandbox';
import { getTestEnv, isolatedQueueEnv, teardownTestEnv } from '../test/helpers/temporal';
import { spawnProductProcess, type WorkerProcess } from '../test/helpers/worker-process';
import { runBenchmark, runConcurrently } from './lib/measure';

/**
 * npm run bench:memory — one worker process (`npm run worker`, every queue) holding many open workflows:
 * BENCH_ORDERS order syncs (default 1000; each got an ERP event and waits for the next) and BENCH_REFUNDS
 * refunds (default 200; each waits for a supervisor's approval). For each cache size in BENCH_CACHE_SIZES
 * (default "1000,1500", WORKER_MAX_CACHED_WORKFLOWS) a fresh worker touches every workflow twice (a
 * duplicate event to each order, a state query to each refund): the first round fills its cache, the second
 * measures the sticky-cache hit rate (the SDK's Prometheus counters); RSS and the V8 heaps are taken after
 * a forced GC (bench/lib/memory-probe.ts) when idle, and after each round.
 *   BENCH_CONCURRENCY (default 20 calls in flight), BENCH_RSS_LIMIT_MB (default 300)
 */
const orderCount = Number(process.env.BENCH_ORDERS ?? 1000);
const refundCount = Number(process.env.BENCH_REFUNDS ?? 200);
const cacheSizes = (process.env.BENCH_CACHE_SIZES ?? '1000,1500').split(',').map(Number);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 20);
const rssLimitMb = Number(process.env.BENCH_RSS_LIMIT_MB ?? 300);
const MB = 1024 * 1024;
const liftedRateLimits = { RATE_LIMIT_SALESFORCE: '10000', RATE_LIMIT_ERP: '10000', RATE_LIMIT_WAREHOUSE: '10000', RATE_LIMIT_PAYMENTS: '10000' };
// Every refund waits for a supervisor, far longer than the bench runs; no goods come back, so no return authorization.
const waitForApproval: RefundInput['policy'] = { approvalThreshold: { default: 0 }, autoApproveUpTo: {}, returnRequiredFor: [], approvalTimeout: '24 hours' };

interface MemoryReport { rss: number; mainHeapUsed: number; workflowThreadsHeapUsed: number; workflowThreads: number; external: number; arrayBuffers: number }

/** Asks the worker's preloaded probe for its memory after a GC (SIGUSR2) and waits for its line. */
async function measure(worker: WorkerProcess): Promise<MemoryReport> {
  const from = worker.output().length;
  process.kill(worker.pid, 'SIGUSR2');
  for (let waited = 0; waited < 15_000; waited += 100) {
    const line = /memory-probe (\{.*\})/.exec(worker.output().slice(from));
    if (line) return JSON.parse(line[1]) as MemoryReport;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the worker did not report its memory (is bench/lib/memory-probe.ts preloaded?)');
}

/** The SDK's sticky cache counters and gauge from the worker's Prometheus endpoint, summed over labels. */
async function cacheMetrics(metricsUrl: string): Promise<{ hits: number; misses: number; size: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const sum = (name: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return { hits: sum('temporal_sticky_cache_hit_total') || sum('temporal_sticky_cache_hit'), misses: sum('temporal_sticky_cache_miss_total') || sum('temporal_sticky_cache_miss'), size: sum('temporal_sticky_cache_size') };
}

const mb = (bytes: number) => Math.round(bytes / MB);

async function main(): Promise<void> {
  const env = await getTestEnv();
  // About half the seeded orders are still open (not delivered or cancelled) and 70% of cases are paid by card.
  const sandbox = await startTestSandbox(undefined, {}, { orders: Math.ceil(orderCount * 2.4) + 200, cases: Math.ceil(refundCount * 2) + 50 });
  const workers: WorkerProcess[] = [];
  try {
    const queues = isolatedQueueEnv('memory');
    const config = configFor(sandbox, { ...queues, ...liftedRateLimits });
    const { client } = env;
    const taskQueues = { salesforce: config.taskQueues.salesforce, erp: config.taskQueues.erp, warehouse: config.taskQueues.warehouse, payments: config.taskQueues.payments };
    const world = sandbox.world();
    const orders = world.orders.filter((o) => o.status !== 'delivered' && o.status !== 'cancelled').slice(0, orderCount);
    const cardPaid = new Set(world.payments.filter((p) => p.method === 'card').map((p) => p.paymentId));
    const cases = world.cases.filter((c) => cardPaid.has(world.orders.find((o) => o.orderNumber === c.orderNumber)!.paymentId)).slice(0, refundCount);
    if (orders.length < orderCount || cases.length < refundCount) throw new Error(`the seeded world has ${orders.length} open orders and ${cases.length} card-paid cases`);
    const eventOf = (orderNumber: string): OrderEvent => ({ eventId: `mem-${orderNumber}`, source: 'erp', type: 'order.status_changed', orderNumber, sequence: 2, occurredAt: new Date(Date.now() - 60_000).toISOString(), status: 'allocated' });

    const startWorker = async (maxCached: number) => {
      const metricsPort = await freePort();
      const worker = spawnProductProcess(
        'src/workers/main.ts',
        'worker ready',
        { ...queues, ...sandboxUrlEnv(sandbox), ...liftedRateLimits, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default', WORKER_MAX_CACHED_WORKFLOWS: String(maxCached), WORKER_METRICS_PORT: String(metricsPort) },
        180_000,
        ['--expose-gc', '--require', resolve(__dirname, 'lib', 'memory-probe.ts')],
      );
      workers.push(worker);
      await worker.ready;
      return { worker, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
    };
    const orderHandle = (n: string): WorkflowHandle<typeof orderSync> => client.workflow.getHandle(orderSyncWorkflowId(n));
    const refundHandle = (caseNumber: string) => client.workflow.getHandle(`refund/${caseNumber}`);

    // Load: every order sync and refund started and brought to its waiting point with the first cache size.
    const first = await startWorker(cacheSizes[0]);
    const idleRss = await measure(first.worker);
    const loadStarted = performance.now();
    await runConcurrently(orders.length, concurrency, (i) =>
      client.workflow.signalWithStart<typeof orderSync, OrderEvent[]>('orderSync', {
        workflowId: orderSyncWorkflowId(orders[i].orderNumber),
        taskQueue: config.taskQueues.orchestration,
        args: [{ orderNumber: orders[i].orderNumber, settings: { coalesceWindow: '1 second' }, taskQueues }],
        signal: orderEventSignal,
        signalArgs: [eventOf(orders[i].orderNumber)],
      }),
    );
    await runConcurrently(cases.length, concurrency, (i) =>
      client.workflow.start('refund', { workflowId: `refund/${cases[i].caseNumber}`, taskQueue: config.taskQueues.orchestration, args: [{ caseNumber: cases[i].caseNumber, policy: waitForApproval, taskQueues } satisfies RefundInput] }),
    );
    const settle = async <T>(what: string, read: () => Promise<T>, done: (state: T) => boolean) => {
      for (const deadline = Date.now() + 600_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 1_000))) {
        const state = await read().catch(() => undefined);
        if (state !== undefined && done(state)) return state;
      }
      throw new Error(`${what} did not settle within 600 s`);
    };
    await runConcurrently(orders.length, concurrency, (i) => settle(`order sync ${orders[i].orderNumber}`, () => orderHandle(orders[i].orderNumber).query(orderSyncStateQuery), (s) => s.events.received >= 1 && !s.pendingChange));
    const refundStages = new Map<string, number>();
    await runConcurrently(cases.length, concurrency, async (i) => {
      const s = await settle(`refund ${cases[i].caseNumber}`, () => refundHandle(cases[i].caseNumber).query(refundStateQuery), (st) => ['awaiting-approval', 'refunded', 'rejected', 'cancelled', 'failed'].includes(st.stage));
      refundStages.set(s.stage, (refundStages.get(s.stage) ?? 0) + 1);
    });
    const waiting = refundStages.get('awaiting-approval') ?? 0;
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    console.log(`bench:memory — ${orders.length} order syncs and ${cases.length} refunds started and settled in ${loadSeconds.toFixed(0)} s; refund stages: ${JSON.stringify(Object.fromEntries(refundStages))}`);
    if (waiting < refundCount) console.log(`note: ${refundCount - waiting} refunds did not stop at approval (their case's facts did not allow a refund); they are closed, not held`);

    const touch = () =>
      runConcurrently(orders.length + cases.length, concurrency, (i) =>
        i < orders.length ? orderHandle(orders[i].orderNumber).signal(orderEventSignal, eventOf(orders[i].orderNumber)) : refundHandle(cases[i - orders.length].caseNumber).query(refundStateQuery),
      );

    const rows = [];
    for (const [k, maxCached] of cacheSizes.entries()) {
      const { worker, metricsUrl } = k === 0 ? first : await startWorker(maxCached);
      const idle = k === 0 ? idleRss : await measure(worker);
      const before = await cacheMetrics(metricsUrl);
      const fill = await touch();
      const filled = await measure(worker);
      const between = await cacheMetrics(metricsUrl);
      const again = await touch();
      const after = await cacheMetrics(metricsUrl);
      const held = await measure(worker);
      const hits = after.hits - between.hits;
      const misses = after.misses - between.misses;
      rows.push({
        maxCachedWorkflows: maxCached,
        cached: after.size,
        idleRssMb: mb(idle.rss),
        rssMb: mb(held.rss),
        mainHeapMb: mb(held.mainHeapUsed),
        // The workflow threads answer between activations; none answering is 'n/a', not zero.
        workflowHeapMb: held.workflowThreads > 0 ? mb(held.workflowThreadsHeapUsed) : 'n/a',
        kbPerCached: after.size > 0 ? Math.round((held.rss - idle.rss) / 1024 / after.size) : NaN,
        fillHitRate: Number(((between.hits - before.hits) / Math.max(1, between.hits - before.hits + between.misses - before.misses)).toFixed(3)),
        hitRate: Number((hits / Math.max(1, hits + misses)).toFixed(3)),
        touchesPerSecond: Math.round((orders.length + cases.length) / (again.wallMs / 1000)),
        firstTouchesPerSecond: Math.round((orders.length + cases.length) / (fill.wallMs / 1000)),
        rssAfterFillMb: mb(filled.rss),
      });
      await worker.kill('SIGTERM');
    }
    console.table(rows);
    for (const row of rows) {
      console.log(`cache ${row.maxCachedWorkflows}: ${row.cached} workflows cached, RSS ${row.rssMb} MB (idle ${row.idleRssMb} MB, ${row.kbPerCached} KB per cached workflow), heaps ${row.mainHeapMb} MB main + ${row.workflowHeapMb} MB workflow threads, sticky hit rate ${row.hitRate} — ${row.rssMb <= rssLimitMb ? 'within' : 'OVER'} ${rssLimitMb} MB`);
    }
  } finally {
    // Everything this bench started: the worker processes, the sandbox, the dev server.
    await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    await sandbox.close();
    await teardownTestEnv();
  }
}

runBenchmark(main);
