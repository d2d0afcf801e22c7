import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { startRefund } from '../src/client';
import type { SalesforceState } from '../sandbox/systems/salesforce/state';
import type { Config } from '../src/config';
import { apiConfig, hashApiKey } from '../src/config/api';
import { createLogger } from '../src/observability/logger';
import { createCaseFacts } from '../src/services/case-facts';
import { buildApp } from '../src/starters/http/app';
import { dataConverterFor } from '../src/temporal/payload-codec';
import { startBenchEnvironment } from './lib/environment';
import { runConcurrently, summarize, runBenchmark } from './lib/measure';

/**
 * npm run bench:api — latency (p50/p99) and starts per second of POST /v1/refunds over a real socket
 * (each request a distinct seeded case → a distinct refund workflow, answered 202) next to a bare
 * `client.workflow.start` loop of a no-op workflow, same server, same count and concurrency, one run;
 * between them, the startRefund client function without HTTP (what the route calls), to split the cost;
 * and the same route served by a client with payload encryption off, for the codec's cost; and a bare start
 * after the same fact reads the route makes (Case, order, payment: the trust boundary's cost), so the part
 * the API controls is measured against a baseline that pays for the reads too.
 * Only the start path is measured: by default both start on task queues no worker polls, so neither
 * side pays for executing workflows in this one process (BENCH_API_EXECUTE=1: the real workers run them).
 *   BENCH_REQUESTS (default 200), BENCH_CONCURRENCY (default 10), BENCH_ROUNDS (default 4: the three alternate)
 */
const count = Number(process.env.BENCH_REQUESTS ?? 200);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
const execute = process.env.BENCH_API_EXECUTE === '1';
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 4));
const warmup = 10;

/** Wall time and latencies summed over rounds. */
function measured() {
  const total = { wallMs: 0, latenciesMs: [] as number[] };
  return { total, add: (r: { wallMs: number; latenciesMs: number[] }) => ((total.wallMs += r.wallMs), total.latenciesMs.push(...r.latenciesMs)) };
}

/** What a refund start carries: the case only (the API reads the Case, its order and payment before starting). */
interface RefundBody {
  caseId: string;
  caseNumber: string;
}

async function main(): Promise<void> {
  const cases = 3 * count + 2 * warmup;
  const bench = await startBenchEnvironment({ world: { orders: Math.max(480, cases * 3), cases } });
  const startedIds: string[] = [];
  try {
    const { client } = bench.env;
    const run = `${process.pid}-${Date.now().toString(36)}`;
    const queues = execute ? { refund: bench.config.taskQueues.orchestration, bare: bench.bareQueue } : { refund: `bench-${run}-unpolled-refund`, bare: `bench-${run}-unpolled-bare` };
    const config: Config = { ...bench.config, taskQueues: { ...bench.config.taskQueues, orchestration: queues.refund } };
    const bodies = refundBodies(bench.sandbox);
    if (bodies.length < cases) throw new Error(`the world has ${bodies.length} cases, ${cases} needed`);

    const key = `rk_bench_${randomBytes(16).toString('hex')}`;
    const app = await buildApp({
      client,
      config,
      // The per-key rate limit would bound the run; the bench measures the start path, so lift it.
      api: apiConfig({ keys: [{ name: 'bench', sha256: hashApiKey(key), scopes: ['start', 'read'] }], rateLimitMax: 1_000_000 }),
      logger: createLogger({ level: 'error', format: 'json' }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/refunds`;
    // The same API with a client that leaves payloads in clear text: the codec's cost on the start path.
    const clearClient = new Client({ connection: bench.env.connection, namespace: bench.env.namespace ?? 'default', dataConverter: dataConverterFor({ encryption: 'off', keys: [], compress: true }) });
    const clearApp = await buildApp({
      client: clearClient,
      config,
      api: apiConfig({ keys: [{ name: 'bench', sha256: hashApiKey(key), scopes: ['start', 'read'] }], rateLimitMax: 1_000_000 }),
      logger: createLogger({ level: 'error', format: 'json' }),
    });
    await clearApp.listen({ host: '127.0.0.1', port: 0 });
    const clearUrl = `http://127.0.0.1:${(clearApp.server.address() as AddressInfo).port}/v1/refunds`;
    try {
      const postRefund = async (body: RefundBody, to = url) => {
        const res = await post(to, key, JSON.stringify(body));
        const answer = JSON.parse(res.body) as { workflowId?: string; existing?: boolean };
        if (res.status !== 202 || answer.existing !== false || !answer.workflowId) throw new Error(`POST /v1/refunds for ${body.caseNumber}: ${res.status} ${JSON.stringify(answer)}`);
        startedIds.push(answer.workflowId);
      };
      const { salesforce, erp, warehouse, payments } = config.taskQueues;
      const clientStart = async (body: RefundBody) => {
        const started = await startRefund(client, { taskQueue: queues.refund, input: { ...body, taskQueues: { salesforce, erp, warehouse, payments } } });
        if (started.existing) throw new Error(`startRefund for ${body.caseNumber}: the case already had a refund`);
        startedIds.push(started.workflowId);
      };
      const bareStart = async (i: number | string) => {
        const handle = await client.workflow.start('bareWorkflow', { taskQueue: queues.bare, workflowId: `bench-bare-${run}-${i}`, args: [[]] });
        startedIds.push(handle.workflowId);
      };
      // The reads a refund start makes before it starts (read-only, so on the client function's cases).
      const facts = createCaseFacts(config);
      const readsThenBareStart = async (i: number, body: RefundBody) => {
        await facts.checkRefund(await facts.read(body), undefined);
        await bareStart(`reads-${i}`);
      };

      // Warm-up (connections, JIT, the API's first requests) on cases the measured run does not use.
      for (let i = 0; i < warmup; i++) {
        await postRefund(bodies[3 * count + i]);
        await postRefund(bodies[3 * count + warmup + i], clearUrl);
        await bareStart(count + i);
        await readsThenBareStart(count + i, bodies[3 * count + i]);
      }

      // Interleaved in rounds, so a neighbour's load on a shared machine falls on all three alike.
      const runs = { api: measured(), direct: measured(), bare: measured(), clear: measured(), reads: measured() };
      for (let round = 0, done = 0; round < rounds; round++) {
        const size = Math.floor((count * (round + 1)) / rounds) - done;
        runs.api.add(await runConcurrently(size, concurrency, (i) => postRefund(bodies[done + i])));
        runs.direct.add(await runConcurrently(size, concurrency, (i) => clientStart(bodies[count + done + i])));
        runs.bare.add(await runConcurrently(size, concurrency, (i) => bareStart(done + i)));
        runs.clear.add(await runConcurrently(size, concurrency, (i) => postRefund(bodies[2 * count + done + i], clearUrl)));
        runs.reads.add(await runConcurrently(size, concurrency, (i) => readsThenBareStart(done + i, bodies[count + done + i])));
        done += size;
      }
      const api = summarize('POST /v1/refunds (HTTP API, 202)', count, runs.api.total);
      const direct = summarize('startRefund() client function (one start call, no HTTP)', count, runs.direct.total);
      const bare = summarize('client.workflow.start (no-op workflow)', count, runs.bare.total);
      const clear = summarize('POST /v1/refunds, PAYLOAD_ENCRYPTION=off', count, runs.clear.total);
      const reads = summarize('fact reads (Case, order, payment) + client.workflow.start (no-op workflow)', count, runs.reads.total);
      facts.close();
      const report = {
        requests: count,
        concurrency,
        rounds,
        workflowsExecuted: execute,
        api,
        clientFunction: direct,
        bare,
        throughputRatio: Number((api.perSecond / bare.perSecond).toFixed(3)),
        p50Ratio: Number((api.p50Ms / bare.p50Ms).toFixed(2)),
        p99Ratio: Number((api.p99Ms / bare.p99Ms).toFixed(2)),
        clientFunctionThroughputRatio: Number((direct.perSecond / bare.perSecond).toFixed(3)),
        readsThenBare: reads,
        // The part the API controls: the route against a bare start that makes the same reads first.
        apiOverReadsThroughputRatio: Number((api.perSecond / reads.perSecond).toFixed(3)),
        apiOverReadsP99Ratio: Number((api.p99Ms / reads.p99Ms).toFixed(2)),
        codec: { clear, throughputRatio: Number((api.perSecond / clear.perSecond).toFixed(3)), p99Ratio: Number((api.p99Ms / clear.p99Ms).toFixed(2)) },
      };
      console.log(JSON.stringify(report, null, 2));
      console.log(
        `\nPOST /v1/refunds ${api.perSecond}/s (p50 ${api.p50Ms} ms, p99 ${api.p99Ms} ms) vs bare start ${bare.perSecond}/s (p50 ${bare.p50Ms} ms, p99 ${bare.p99Ms} ms): throughput ratio ${report.throughputRatio}, p50 ratio ${report.p50Ratio}`,
      );
      console.log(`payload encryption on the start path: ${api.perSecond}/s sealed vs ${clear.perSecond}/s clear: ratio ${report.codec.throughputRatio} (p99 ${api.p99Ms} vs ${clear.p99Ms} ms)`);
      console.log(`against a bare start after the same fact reads (${reads.perSecond}/s, p50 ${reads.p50Ms} ms, p99 ${reads.p99Ms} ms): throughput ratio ${report.apiOverReadsThroughputRatio}, p99 ratio ${report.apiOverReadsP99Ratio}`);
      console.log(`startRefund() without HTTP: ${direct.perSecond}/s (p50 ${direct.p50Ms} ms, p99 ${direct.p99Ms} ms), ratio to bare ${report.clientFunctionThroughputRatio}`);
    } finally {
      agent.destroy();
      await app.close();
      await clearApp.close();
    }
  } finally {
    if (process.env.TEMPORAL_ADDRESS) await terminateAll(bench.env.client, startedIds);
    await bench.close();
  }
}

// A light load generator in the same process: node:http on kept-alive sockets (fetch's streams cost more CPU than the API's own work).
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

function post(url: string, apiKey: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-api-key': apiKey } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One refund request per seeded case, with the Salesforce Case id the sandbox gave it. */
function refundBodies(sandbox: Awaited<ReturnType<typeof startBenchEnvironment>>['sandbox']): RefundBody[] {
  const world = sandbox.world();
  // bench:api keeps its sandbox in this process.
  const sf = sandbox.systems!.salesforce!.ctx.store.data as SalesforceState;
  const caseIds = new Map(Object.values(sf.records.Case).map((r) => [r.CaseNumber as string, r.Id as string]));
  return world.cases.map((kase) => ({ caseId: caseIds.get(kase.caseNumber)!, caseNumber: kase.caseNumber }));
}

/** Started workflows must not outlive the bench on a shared server (TEMPORAL_ADDRESS); the local dev server is discarded anyway. */
async function terminateAll(client: Client, workflowIds: string[]): Promise<void> {
  await runConcurrently(workflowIds.length, 20, (i) =>
    client.workflow
      .getHandle(workflowIds[i])
      .terminate('bench finished')
      .catch(() => undefined),
  );
}

runBenchmark(main);
