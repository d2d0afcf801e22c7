import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { Client } from '@temporalio/client';
import { startRefund } from '../src/client';
import type { Config } from '../src/config';
import { hashApiKey } from '../src/config/api';
import { createCaseFacts } from '../src/services/case-facts';
import { startReadyChild } from './lib/child-process';
import { cpuMeter } from './lib/cpu';
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
 * side pays for executing workflows (BENCH_API_EXECUTE=1: the real workers run them).
 * Processes as deployed: the API (each of its two configurations) runs in a process of its own, as `npm start` runs it,
 * and the sandbox in another; this process sends the requests and runs the baselines, so the load generator's HTTP
 * client is not charged to the API. The CPU each side used per start is read from /proc and printed.
 *   BENCH_REQUESTS (default 200), BENCH_CONCURRENCY (default 10), BENCH_ROUNDS (default 4: the three alternate)
 */
const count = Number(process.env.BENCH_REQUESTS ?? 200);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
const execute = process.env.BENCH_API_EXECUTE === '1';
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 4));
const warmup = 10;
// BENCH_API_CPU_PROF=<dir>: the API processes write V8 CPU profiles there (node --cpu-prof) when they stop.
// BENCH_API_NODE_ARGS: more Node flags for the API processes (e.g. --max-semi-space-size=32).
const apiNodeArgs = [...(process.env.BENCH_API_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_API_CPU_PROF}`] : []), ...(process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean)];

/** Wall time and latencies summed over rounds. */
function measured() {
  const total = { wallMs: 0, latenciesMs: [] as number[] };
  return { total, add: (r: { wallMs: number; latenciesMs: number[] }) => ((total.wallMs += r.wallMs), total.latenciesMs.push(...r.latenciesMs)) };
}

/** What a refund start carries: the case only (the API reads the Case, its order and payment before starting). */
interface RefundBody {
  caseNumber: string;
}

async function main(): Promise<void> {
  const cases = 4 * count + 3 * warmup;
  const bench = await startBenchEnvironment({ world: { orders: Math.max(480, cases * 3), cases }, sandboxProcess: true });
  const startedIds: string[] = [];
  try {
    const { client } = bench.env;
    const run = `${process.pid}-${Date.now().toString(36)}`;
    const queues = execute ? { refund: bench.config.taskQueues.orchestration, bare: bench.bareQueue } : { refund: `bench-${run}-unpolled-refund`, bare: `bench-${run}-unpolled-bare` };
    const config: Config = { ...bench.config, taskQueues: { ...bench.config.taskQueues, orchestration: queues.refund } };
    const bodies: RefundBody[] = bench.sandbox.world().cases.map((kase) => ({ caseNumber: kase.caseNumber }));
    if (bodies.length < cases) throw new Error(`the world has ${bodies.length} cases, ${cases} needed`);

    const key = `rk_bench_${randomBytes(16).toString('hex')}`;
    // The API as deployed, in a process of its own; and the same API with a client that leaves payloads in clear text: the codec's cost on the start path.
    const apiEnv: Record<string, string> = {
      TEMPORAL_ADDRESS: bench.env.address,
      TEMPORAL_NAMESPACE: bench.env.namespace ?? 'default',
      LOG_LEVEL: 'error',
      TASK_QUEUE_ORCHESTRATION: queues.refund,
      TASK_QUEUE_SALESFORCE: config.taskQueues.salesforce,
      TASK_QUEUE_ERP: config.taskQueues.erp,
      TASK_QUEUE_WAREHOUSE: config.taskQueues.warehouse,
      TASK_QUEUE_PAYMENTS: config.taskQueues.payments,
    };
    const startApi = (env: Record<string, string>) =>
      startReadyChild<{ url: string }>(require.resolve('./lib/api-child.ts'), { BENCH_API_CHILD: JSON.stringify({ sandbox: { urls: bench.sandbox.urls, pubsub: bench.sandbox.pubsub }, env, keySha256: hashApiKey(key) }) }, 'api-ready', apiNodeArgs);
    const [app, clearApp] = await Promise.all([startApi(apiEnv), startApi({ ...apiEnv, PAYLOAD_ENCRYPTION: 'off' })]);
    const url = `${app.ready.url}/v1/refunds`;
    const clearUrl = `${clearApp.ready.url}/v1/refunds`;
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
      // What the route calls, without HTTP: the same reads and checks, then the refund's start with the case's search attributes,
      // made by the API process itself (same client, codec and connectors), `size` cases from `from` at the bench's concurrency.
      const serviceStarts = async (from: number, size: number) => {
        const answer = await app.ask<{ wallMs: number; latenciesMs: number[]; workflowIds: string[]; error?: string }>({ refunds: bodies.slice(from, from + size).map((b) => b.caseNumber), concurrency });
        if (answer.error) throw new Error(answer.error);
        startedIds.push(...answer.workflowIds);
        return answer;
      };

      // Warm-up (connections, JIT, the API's first requests) on cases the measured run does not use.
      for (let i = 0; i < warmup; i++) {
        await postRefund(bodies[4 * count + i]);
        await postRefund(bodies[4 * count + warmup + i], clearUrl);
        await bareStart(count + i);
        await readsThenBareStart(count + i, bodies[4 * count + i]);
      }
      await serviceStarts(4 * count + 2 * warmup, warmup);

      // Interleaved in rounds, so a neighbour's load on a shared machine falls on all three alike.
      const runs = { api: measured(), service: measured(), direct: measured(), bare: measured(), clear: measured(), reads: measured() };
      // CPU per start: the API process and this one (the load generator) during the API's rounds, this one during the reads + bare start rounds.
      const processes = { api: app.pid, bench: process.pid, sandbox: bench.sandbox.pid };
      const cpu = { api: {} as Record<string, number>, service: {} as Record<string, number>, direct: {} as Record<string, number>, bare: {} as Record<string, number>, reads: {} as Record<string, number> };
      const metered = async <T>(into: Record<string, number>, work: () => Promise<T>): Promise<T> => {
        const stop = cpuMeter(processes);
        const result = await work();
        for (const [name, ms] of Object.entries(stop())) into[name] = (into[name] ?? 0) + (ms ?? NaN);
        return result;
      };
      for (let round = 0, done = 0; round < rounds; round++) {
        const size = Math.floor((count * (round + 1)) / rounds) - done;
        runs.api.add(await metered(cpu.api, () => runConcurrently(size, concurrency, (i) => postRefund(bodies[done + i]))));
        runs.service.add(await metered(cpu.service, () => serviceStarts(3 * count + done, size)));
        runs.direct.add(await metered(cpu.direct, () => runConcurrently(size, concurrency, (i) => clientStart(bodies[count + done + i]))));
        runs.bare.add(await metered(cpu.bare, () => runConcurrently(size, concurrency, (i) => bareStart(done + i))));
        runs.clear.add(await runConcurrently(size, concurrency, (i) => postRefund(bodies[2 * count + done + i], clearUrl)));
        runs.reads.add(await metered(cpu.reads, () => runConcurrently(size, concurrency, (i) => readsThenBareStart(done + i, bodies[count + done + i]))));
        done += size;
      }
      const perStart = (used: Record<string, number>) => Object.fromEntries(Object.entries(used).map(([name, ms]) => [name, Number((ms / count).toFixed(2))]));
      const api = summarize('POST /v1/refunds (HTTP API, 202)', count, runs.api.total);
      const service = summarize('starts.refund(): what the route calls (reads, checks, start), no HTTP', count, runs.service.total);
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
        service,
        // HTTP's own cost: the route against the service call it makes, in the same kind of process.
        apiOverServiceThroughputRatio: Number((api.perSecond / service.perSecond).toFixed(3)),
        apiOverServiceP99Ratio: Number((api.p99Ms / service.p99Ms).toFixed(2)),
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
        // ms of CPU per start, by process: during the API's rounds (api = the API process, bench = the load generator) and the reads + bare start rounds (bench = the baseline's reads and start).
        cpuMsPerStart: { apiRounds: perStart(cpu.api), serviceRounds: perStart(cpu.service), readsRounds: perStart(cpu.reads), clientFunctionRounds: perStart(cpu.direct), bareRounds: perStart(cpu.bare) },
      };
      console.log(JSON.stringify(report, null, 2));
      console.log(
        `\nPOST /v1/refunds ${api.perSecond}/s (p50 ${api.p50Ms} ms, p99 ${api.p99Ms} ms) vs bare start ${bare.perSecond}/s (p50 ${bare.p50Ms} ms, p99 ${bare.p99Ms} ms): throughput ratio ${report.throughputRatio}, p50 ratio ${report.p50Ratio}`,
      );
      console.log(`payload encryption on the start path: ${api.perSecond}/s sealed vs ${clear.perSecond}/s clear: ratio ${report.codec.throughputRatio} (p99 ${api.p99Ms} vs ${clear.p99Ms} ms)`);
      console.log(`against a bare start after the same fact reads (${reads.perSecond}/s, p50 ${reads.p50Ms} ms, p99 ${reads.p99Ms} ms): throughput ratio ${report.apiOverReadsThroughputRatio}, p99 ratio ${report.apiOverReadsP99Ratio}`);
      console.log(`startRefund() without HTTP: ${direct.perSecond}/s (p50 ${direct.p50Ms} ms, p99 ${direct.p99Ms} ms), ratio to bare ${report.clientFunctionThroughputRatio}`);
      console.log(`against starts.refund() without HTTP, the call the route makes (${service.perSecond}/s, p50 ${service.p50Ms} ms, p99 ${service.p99Ms} ms): throughput ratio ${report.apiOverServiceThroughputRatio}, p99 ratio ${report.apiOverServiceP99Ratio}`);
      const a = report.cpuMsPerStart.apiRounds;
      const r = report.cpuMsPerStart.readsRounds;
      console.log(`CPU per start: the API process ${a.api} ms (load generator ${a.bench} ms, sandbox ${a.sandbox} ms) vs starts.refund() in the same process ${report.cpuMsPerStart.serviceRounds.api} ms, reads + bare start ${r.bench} ms (sandbox ${r.sandbox} ms); startRefund() ${report.cpuMsPerStart.clientFunctionRounds.bench} ms, bare start ${report.cpuMsPerStart.bareRounds.bench} ms`);
    } finally {
      agent.destroy();
      await Promise.all([app.close(), clearApp.close()]);
    }
  } finally {
    if (process.env.TEMPORAL_ADDRESS) await terminateAll(bench.env.client, startedIds);
    await bench.close();
  }
}

// The load generator: node:http on kept-alive sockets (fetch's streams cost more CPU than the API's own work).
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
