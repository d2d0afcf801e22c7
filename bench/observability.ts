import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace, type ProxyTracerProvider } from '@opentelemetry/api';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { startCaseResolution } from '../src/client';
import { configFromEnv } from '../src/config';
import { createLogger } from '../src/observability/logger';
import { installTracing } from '../src/observability/tracing';
import { installRuntime } from '../src/workers/runtime';
import { startBenchEnvironment } from './lib/environment';
import { refundOnlyPolicy as policy } from './lib/policy';
import { runBenchmark, runConcurrently, summarize } from './lib/measure';

/**
 * npm run bench:observability — the cost of business telemetry (business metrics, served to Prometheus,
 * and OpenTelemetry spans exported over OTLP/HTTP to a receiver in this process) on case resolutions:
 * the same cases through workers with telemetry on and workers with BUSINESS_TELEMETRY=off, on the
 * same dev server, alternating in rounds; prints both and the throughput ratio on/off.
 *   BENCH_CASES (default 40, per side), BENCH_CONCURRENCY (default 10)
 */
const count = Number(process.env.BENCH_CASES ?? 40);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);

/** An OTLP/HTTP trace receiver that accepts and counts what it is sent, so span export costs what it costs in production. */
async function startOtlpReceiver(): Promise<{ server: Server; url: string; received: { requests: number; bytes: number } }> {
  const received = { requests: 0, bytes: 0 };
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        received.requests++;
        received.bytes += bytes;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
  const { port } = probe.address() as AddressInfo;
  await new Promise((ok) => probe.close(ok));
  return port;
}

async function main(): Promise<void> {
  // Telemetry as a production worker has it: Prometheus metrics served by the SDK runtime, spans batched to OTLP/HTTP.
  const metricsPort = await freePort();
  installRuntime(configFromEnv({ ...process.env, WORKER_METRICS_PORT: String(metricsPort), LOG_LEVEL: 'error' }), createLogger({ level: 'error' }));
  const otlp = await startOtlpReceiver();
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = otlp.url;
  const tracing = installTracing('retail-worker-bench');
  if (!tracing) throw new Error('tracing did not install');
  // The connectors' HTTP spans use the global tracer; the untraced rounds take it away so they make none.
  const provider = (trace.getTracerProvider() as ProxyTracerProvider).getDelegate() as BasicTracerProvider;
  const setTracing = (on: boolean) => (on ? trace.setGlobalTracerProvider(provider) : trace.disable());

  const bench = await startBenchEnvironment({
    world: { orders: 1500, cases: 2 * count + 20 },
    env: { RATE_LIMIT_SALESFORCE: '10000', RATE_LIMIT_ERP: '10000', RATE_LIMIT_WAREHOUSE: '10000', RATE_LIMIT_PAYMENTS: '10000' },
    telemetryOffToo: true,
  });
  try {
    const { client } = bench.env;
    const cases = bench.sandbox.world().cases.map((c) => c.caseNumber);
    const resolveOn = async (config: typeof bench.config, caseNumber: string) => {
      const queues = { salesforce: config.taskQueues.salesforce, erp: config.taskQueues.erp, warehouse: config.taskQueues.warehouse, payments: config.taskQueues.payments };
      const started = await startCaseResolution(client, { caseNumber, taskQueue: config.taskQueues.orchestration, policy, taskQueues: queues });
      const result = (await client.workflow.getHandle(started.workflowId).result()) as { outcome: string };
      if (result.outcome !== 'refunded') throw new Error(`case ${caseNumber} ended ${result.outcome}`);
    };
    const on = bench.config;
    const off = bench.telemetryOff!.config;

    // Warm-up of both worker sets (bundles, connections, JIT).
    await resolveOn(on, cases[2 * count]);
    setTracing(false);
    await resolveOn(off, cases[2 * count + 1]);
    setTracing(true);

    // On and off alternate in rounds, so a machine whose load drifts weighs on both alike.
    const onRun = { wallMs: 0, latenciesMs: [] as number[] };
    const offRun = { wallMs: 0, latenciesMs: [] as number[] };
    const add = (into: typeof onRun, run: typeof onRun) => {
      into.wallMs += run.wallMs;
      into.latenciesMs.push(...run.latenciesMs);
    };
    const round = Math.max(concurrency, 10);
    const requestsBefore = otlp.received.requests;
    for (let from = 0; from < count; from += round) {
      const size = Math.min(round, count - from);
      setTracing(true);
      add(onRun, await runConcurrently(size, concurrency, (i) => resolveOn(on, cases[2 * (from + i)])));
      setTracing(false);
      add(offRun, await runConcurrently(size, concurrency, (i) => resolveOn(off, cases[2 * (from + i) + 1])));
    }
    setTracing(true);
    await provider.forceFlush();
    const metricsText = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const withTelemetry = summarize('caseResolution + refund, business metrics + OTLP spans', count, onRun);
    const without = summarize('caseResolution + refund, BUSINESS_TELEMETRY=off', count, offRun);
    const report = {
      cases: count,
      concurrency,
      on: withTelemetry,
      off: without,
      throughputRatio: Number((withTelemetry.perSecond / without.perSecond).toFixed(3)),
      p50Ratio: Number((withTelemetry.p50Ms / without.p50Ms).toFixed(2)),
      // Evidence the on side really measured: spans reached the receiver and business series were served.
      otlpExports: { requests: otlp.received.requests - requestsBefore, bytes: otlp.received.bytes },
      businessSeries: metricsText.split('\n').filter((l) => l.startsWith('retail_')).length,
    };
    console.log(JSON.stringify(report, null, 2));
    console.log(`\ntelemetry on ${withTelemetry.perSecond}/s vs off ${without.perSecond}/s: ratio ${report.throughputRatio} (p50 ${withTelemetry.p50Ms} ms vs ${without.p50Ms} ms)`);
  } finally {
    await bench.close();
    await tracing.shutdown();
    otlp.server.close();
  }
}

runBenchmark(main);
