import assert from 'node:assert/strict';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { installTracing } from '../../src/observability/tracing';
import { clientInterceptors } from '../../src/temporal/client';
import { testDataConverter } from '../helpers/codec';
import { admin } from '../helpers/sandbox';
import { getTestEnv, testEnvTimeoutMs } from '../helpers/temporal';
import { eventually } from '../workflows/case-resolution-world';
import { caseFor, keys, paidByCard, segmentOf, startApiWorld, type ApiWorld } from '../http/api-world';

/**
 * OpenTelemetry end to end, into an in-memory exporter: the API's request span, the Temporal client's
 * start, the workflow and its activities, and the payment provider's refund call form one trace,
 * and the downstream span carries the case's business keys.
 */
describe('tracing from POST /v1/refunds to the payment provider', function () {
  this.timeout(120_000);
  const exporter = new InMemorySpanExporter();
  let world: ApiWorld;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    // Installed before the workers are made: they export workflow spans through it.
    const tracing = installTracing('retail-test', { exporter });
    assert.ok(tracing, 'tracing installed with the test exporter');
    const env = await getTestEnv();
    const client = new Client({ connection: env.connection, namespace: env.namespace ?? 'default', dataConverter: testDataConverter, interceptors: clientInterceptors() });
    world = await startApiWorld({ workers: true, deps: { client } });
  });
  after(async () => {
    await world?.close();
  });

  it('finds one trace from the request through the workflow to the refund call, labelled with the case', async () => {
    const sandbox = world.sandbox!;
    // Small enough for no approval, paid by card: the refund runs to the end by itself.
    const kase = caseFor(sandbox, (o, w, c) => paidByCard(o, w) && o.total <= 20_000 && segmentOf(o, w) === 'standard' && c.reason !== 'wrong-item');
    const started = await world.call('POST', '/v1/refunds', { key: keys.flow, body: { caseNumber: kase.caseNumber, caseId: kase.caseId }, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
    assert.equal(started.status, 202, started.text);
    await eventually(async () => {
      const p = await world.call('GET', String(started.body.statusUrl), { key: keys.reader });
      return p.body.status === 'COMPLETED' ? p : undefined;
    }, 60_000, 'the refund to complete');
    const [refund] = (await admin(sandbox.urls.payments!).ledger({ kind: 'refund.created' })).entries.filter((e) => JSON.stringify(e).includes(kase.caseNumber));
    assert.ok(refund, 'the payment provider refunded');

    const spans: ReadableSpan[] = exporter.getFinishedSpans();
    const request = spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /v1/refunds' && s.attributes['retail.case_number'] === kase.caseNumber);
    assert.ok(request, `a server span for the request among ${spans.map((s) => s.name).join(', ')}`);
    const traceId = request.spanContext().traceId;
    assert.equal(traceId, '0af7651916cd43dd8448eb211c80319c', "the caller's traceparent is continued");
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const names = inTrace.map((s) => s.name);
    for (const expected of ['StartWorkflow:refund', 'RunWorkflow:refund', 'RunActivity:refundPayment']) assert.ok(names.includes(expected), `${expected} in the trace: ${names.join(', ')}`);
    const call = inTrace.find((s) => s.kind === SpanKind.CLIENT && s.attributes['retail.system'] === 'payments' && s.attributes['http.request.method'] === 'POST' && String(s.attributes['url.full']).endsWith('/v1/refunds'));
    assert.ok(call, `the refund call in the trace: ${names.join(', ')}`);
    assert.equal(call.attributes['http.response.status_code'], 200);
    assert.deepEqual(
      [call.attributes['retail.case_number'], call.attributes['retail.order_number'], call.attributes['retail.store'], call.attributes['retail.region'], call.attributes['retail.segment']],
      [kase.caseNumber, kase.orderNumber, kase.storeId, kase.region, kase.segment],
    );
    // Its parent chain reaches the request span.
    const byId = new Map(inTrace.map((s) => [s.spanContext().spanId, s]));
    let hop: ReadableSpan | undefined = call;
    const chain: string[] = [];
    while (hop && hop !== request) {
      chain.push(hop.name);
      hop = hop.parentSpanId ? byId.get(hop.parentSpanId) : undefined;
    }
    assert.equal(hop, request, `the refund call descends from the request: ${chain.join(' ← ')}`);
  });
});
