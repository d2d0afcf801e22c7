import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DefaultLogger } from '@temporalio/worker';
import { configFromEnv } from '../../src/config';
import { parsePrometheusText } from '../../src/services/slo-report';
import { bundleWorkflows } from '../../src/workers/bundle';
import { buildIdOf } from '../../src/workers/versioning';
import { admin, freePort, sandboxUrlEnv } from '../helpers/sandbox';
import { isolatedQueueEnv, testEnvTimeoutMs } from '../helpers/temporal';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { caseFor, paidByCard, refundToEnd, segmentOf, startApiWorld, type ApiWorld } from '../http/api-world';

/**
 * BUSINESS_TELEMETRY=off, for measuring what telemetry costs: the production worker process runs a
 * refund (with an alert, a sink call from workflow code) to the end, serves the SDK's metrics but no
 * business series, and sends no span to the OTLP endpoint it is given; its bundle is another build.
 */
describe('BUSINESS_TELEMETRY=off', function () {
  this.timeout(180_000);
  let world: ApiWorld;
  let worker: WorkerProcess;
  let metricsUrl: string;
  let otlp: Server;
  const traceRequests: string[] = [];

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    otlp = createServer((req, res) => {
      traceRequests.push(`${req.method} ${req.url}`);
      req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((ok) => otlp.listen(0, '127.0.0.1', ok));
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    const queueEnv = isolatedQueueEnv('untraced');
    world = await startApiWorld({ env: queueEnv });
    worker = spawnWorkerProcess(
      {
        ...queueEnv,
        ...sandboxUrlEnv(world.sandbox!),
        TEMPORAL_ADDRESS: world.env.address,
        TEMPORAL_NAMESPACE: world.env.namespace ?? 'default',
        WORKER_METRICS_PORT: String(port),
        BUSINESS_TELEMETRY: 'off',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(otlp.address() as AddressInfo).port}`,
        RESOLUTION_POLICY: JSON.stringify({ alertAfterAttempts: 1 }),
      },
      // Off, the worker bundles its workflows at start (the prebuilt bundle has the interceptors in it).
      120_000,
    );
    await worker.ready;
  });
  after(async () => {
    await worker?.kill('SIGTERM');
    await world?.close();
    otlp?.close();
  });

  it('runs a refund to the end with no business series and no spans', async () => {
    assert.match(worker.output(), /"businessTelemetry":"off"/, 'the worker says telemetry is off');
    const sandbox = world.sandbox!;
    // Small enough for no approval, paid by card: the refund runs to the end by itself.
    const kase = caseFor(sandbox, (o, w, c) => paidByCard(o, w) && o.total <= 20_000 && segmentOf(o, w) === 'standard' && c.reason !== 'wrong-item');
    // One failed Case comment raises an alert: a business sink call from workflow code, which must land somewhere.
    await admin(sandbox.urls.salesforce!).fault({ kind: 'error', method: 'POST', path: '/services/data/*/sobjects/CaseComment*', status: 503, count: 1 });
    await refundToEnd(world, kase.caseNumber, kase.caseId, () => worker.output());
    const refunds = (await admin(sandbox.urls.payments!).ledger({ kind: 'refund.created' })).entries.filter((e) => JSON.stringify(e).includes(kase.caseNumber));
    assert.equal(refunds.length, 1, 'exactly one refund');

    const samples = parsePrometheusText(await (await fetch(metricsUrl)).text());
    assert.ok(samples.some((s) => s.name.startsWith('temporal_')), 'the SDK metrics are still served');
    assert.deepEqual([...new Set(samples.filter((s) => s.name.startsWith('retail_')).map((s) => s.name))], [], 'no business series');
    assert.doesNotMatch(worker.output(), /unregistered external sink/, "the workflows' sink calls had a receiver");

    // A stopping worker flushes any spans it has; it has none to send.
    await worker.kill('SIGTERM');
    assert.deepEqual(traceRequests, [], 'nothing was exported to the OTLP endpoint');
  });

  it("bundles without the interceptors, and with tracing's only where spans are exported, so each build id differs", async () => {
    const off = await bundleWorkflows(new DefaultLogger('WARN'), undefined, { business: false, tracing: false });
    const on = await bundleWorkflows(new DefaultLogger('WARN'), undefined, { business: true, tracing: false });
    const traced = await bundleWorkflows(new DefaultLogger('WARN'), undefined, { business: true, tracing: true });
    assert.equal(new Set([off, on, traced].map(buildIdOf)).size, 3);
    // The code itself, not its inline source map (which names the bundler's own modules).
    const code = (b: { code: string }) => b.code.slice(0, b.code.lastIndexOf('//# sourceMappingURL='));
    // A field only the business interceptor writes, and the OpenTelemetry interceptor's span name.
    assert.ok(code(on).includes('oldestEventAt') && code(traced).includes('oldestEventAt') && !code(off).includes('oldestEventAt'), 'the business interceptor is in every bundle but the switched-off one');
    assert.ok(code(traced).includes('RunWorkflow') && !code(on).includes('RunWorkflow') && !code(off).includes('RunWorkflow'), "tracing's interceptor is only in the traced bundle");
    assert.equal(configFromEnv({ BUSINESS_TELEMETRY: 'off' }).worker.businessTelemetry, false);
    assert.equal(configFromEnv({}).worker.businessTelemetry, true, 'on unless switched off');
    assert.throws(() => configFromEnv({ BUSINESS_TELEMETRY: 'no' }), /BUSINESS_TELEMETRY|businessTelemetry/);
  });
});
