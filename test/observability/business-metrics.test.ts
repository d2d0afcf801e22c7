import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { listFailures } from '../../src/client/failures';
import { defaultSloConfig } from '../../src/config/slo';
import type { OrderEvent } from '../../src/domain/order-event';
import { businessMetricNames } from '../../src/observability/business-metrics';
import { parsePrometheusText, type Sample } from '../../src/services/slo-report';
import { orderEventSignal, orderSync, orderSyncWorkflowId } from '../../src/workflows/order-sync';
import { stockChangeSignal, stockSync, stockSyncWorkflowId } from '../../src/workflows/stock-sync';
import { admin, freePort, sandboxUrlEnv } from '../helpers/sandbox';
import { isolatedQueueEnv, testEnvTimeoutMs } from '../helpers/temporal';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { eventually } from '../workflows/case-resolution-world';
import { assertProblem, caseFor, keys, paidByCard, startApiWorld, type ApiWorld } from '../http/api-world';

const root = resolve(__dirname, '..', '..');

/** Metric names an alert rule or dashboard query references (recording rules are named retail:…, so they do not match). */
function referencedMetrics(text: string): Set<string> {
  return new Set([...text.matchAll(/\b((?:retail|http|temporal)_[a-z0-9_]+)\b/g)].map((m) => m[1]!));
}

/**
 * Real traffic through the API and a worker process (its own Prometheus endpoint): a refund, a refund
 * the payment provider rejects (saga undone), a Case comment that fails once (an alert), an order event.
 * The worker's histograms and counters carry the business labels; GET /v1/slo and `failures` read them
 * back; every metric the alert rules and the dashboard use is exported by the worker or the API.
 */
describe('business metrics, SLO report and ops rules against a running worker', function () {
  this.timeout(180_000);
  let world: ApiWorld;
  let worker: WorkerProcess;
  let metricsUrl: string;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    const queueEnv = isolatedQueueEnv('obs');
    world = await startApiWorld({ env: queueEnv, deps: { slo: { ...defaultSloConfig, metricsUrls: [metricsUrl] } } });
    worker = spawnWorkerProcess({
      ...queueEnv,
      ...sandboxUrlEnv(world.sandbox!),
      TEMPORAL_ADDRESS: world.env.address,
      TEMPORAL_NAMESPACE: world.env.namespace ?? 'default',
      WORKER_METRICS_PORT: String(port),
      // One failed attempt raises the alert, so one injected failure is enough; every refund waits for a
      // supervisor, briefly, then the policy approves (the approval wait is measured apart).
      RESOLUTION_POLICY: JSON.stringify({
        alertAfterAttempts: 1,
        approvalThreshold: { default: 0 },
        autoApproveUpTo: {},
        approvalTimeout: '1 second',
        escalationTimeout: '1 second',
        defaultOnApprovalTimeout: 'approve',
      }),
    });
    await worker.ready;
  });
  after(async () => {
    await worker?.kill('SIGTERM');
    await world?.close();
  });

  const scrape = async (url: string): Promise<Sample[]> => parsePrometheusText(await (await fetch(url)).text());
  const total = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);

  const refundToEnd = async (body: Record<string, unknown>) => {
    const started = await world.call('POST', '/v1/refunds', { key: keys.flow, body });
    assert.equal(started.status, 202, started.text);
    let last = '';
    return eventually(async () => {
      const p = await world.call('GET', String(started.body.statusUrl), { key: keys.reader });
      last = p.text;
      return p.body.status !== 'RUNNING' ? p : undefined;
    }, 60_000, 'the refund to end').catch((err: Error) => {
      throw new Error(`${err.message}: ${last}\n${worker.output().slice(-4000)}`);
    });
  };

  it('measures processes, steps, alerts, compensations and order sync with business labels, and reports them', async () => {
    const sandbox = world.sandbox!;
    const u = sandbox.urls;
    const good = caseFor(sandbox, (o, w) => paidByCard(o, w));
    await admin(u.salesforce!).fault({ kind: 'error', method: 'POST', path: '/services/data/*/sobjects/CaseComment*', status: 503, count: 1 });
    const refunded = await refundToEnd({ caseNumber: good.caseNumber, caseId: good.caseId });
    assert.equal(refunded.body.status, 'COMPLETED', refunded.text);

    const rejected = caseFor(sandbox, (o, w) => paidByCard(o, w) && o.orderNumber !== good.orderNumber);
    await admin(u.payments!).fault({ kind: 'error', method: 'POST', path: '/v1/refunds', status: 400, errorCode: 'charge_already_refunded', count: 1 });
    const failed = await refundToEnd({ caseNumber: rejected.caseNumber, caseId: rejected.caseId });
    assert.equal(failed.body.status, 'FAILED', failed.text);

    const order = sandbox.world().orders.filter((o) => o.status === 'allocated')[3]!;
    const { orchestration, salesforce, erp, warehouse, payments } = world.config.taskQueues;
    const event: OrderEvent = { eventId: `evt-obs-${order.orderNumber}`, source: 'erp', type: 'order.status_changed', orderNumber: order.orderNumber, sequence: 1_000_000, status: 'shipped', occurredAt: new Date().toISOString() };
    await world.env.client.workflow.signalWithStart(orderSync, {
      workflowId: orderSyncWorkflowId(order.orderNumber),
      taskQueue: orchestration,
      args: [{ orderNumber: order.orderNumber, settings: { coalesceWindow: '200 ms' }, taskQueues: { salesforce, erp, warehouse, payments } }],
      signal: orderEventSignal,
      signalArgs: [event],
    });
    // A stock count made visible in Salesforce (the inventory-visibility SLO).
    const location = `WH-OBS-${Date.now()}`;
    await world.env.client.workflow.signalWithStart(stockSync, {
      workflowId: stockSyncWorkflowId(location, 0),
      taskQueue: orchestration,
      args: [{ location, shard: 0, settings: { coalesceWindow: '200 ms' }, taskQueues: { salesforce, erp, warehouse, payments } }],
      signal: stockChangeSignal,
      signalArgs: [{ eventId: `evt-obs-stock-${location}`, source: 'warehouse' as const, sku: 'SKU-OBS-1', location, onHand: 7, reserved: 2, available: 5, sequence: 1, occurredAt: new Date(Date.now() - 2_000).toISOString() }],
    });
    const n = businessMetricNames;
    const worker = await eventually(async () => {
      const s = await scrape(metricsUrl);
      return total(s, `${n.orderSyncLatency}_count`) >= 1 && total(s, `${n.inventoryVisibility}_count`) >= 1 && total(s, n.processes, { outcome: 'failed' }) >= 1 ? s : undefined;
    }, 60_000, 'the order sync, the stock count and the failed refund in the metrics');
    // The count was two seconds old when it was sent: its visibility latency is at least that.
    assert.ok(total(worker, `${n.inventoryVisibility}_sum`) >= 2, JSON.stringify(worker.filter((s) => s.name.startsWith(n.inventoryVisibility))));

    // The refund is labelled with its business keys (from its search attributes).
    const refundLabels = { process: 'refund', outcome: 'refunded', region: good.region, store: good.storeId };
    assert.equal(total(worker, n.processes, refundLabels), 1, JSON.stringify(worker.filter((s) => s.name === n.processes)));
    assert.equal(total(worker, `${n.refundProcessing}_count`, { region: good.region, store: good.storeId }), 1);
    assert.equal(total(worker, n.processes, { process: 'refund', outcome: 'failed', store: rejected.storeId }), 1);
    assert.ok(total(worker, n.compensations, { process: 'refund', outcome: 'undone', store: rejected.storeId }) >= 1, 'the rejected refund undid its steps');
    assert.ok(total(worker, n.alerts, { process: 'refund', store: good.storeId }) >= 1, 'the failed comment raised an alert');
    assert.ok(total(worker, n.stepFailures, { system: 'salesforce', activity: 'recordCaseMilestone' }) >= 1);
    assert.ok(total(worker, n.stepFailures, { system: 'payments', activity: 'refundPayment' }) + total(worker, n.stepFailures, { system: 'payments' }) >= 1);
    assert.ok(total(worker, `${n.stepDuration}_count`, { system: 'payments', outcome: 'ok', process: 'refund' }) >= 1);
    assert.ok(total(worker, `${n.caseUpdateLatency}_count`, { process: 'refund', activity: 'recordCaseMilestone' }) >= 2);
    // Bounded labels: nothing carries a raw order number or case number.
    assert.ok(!worker.some((s) => Object.values(s.labels).some((v) => v === order.orderNumber || v === good.caseNumber)));

    const report = await world.call('GET', '/v1/slo?by=store', { key: keys.reader });
    assert.equal(report.status, 200, report.text);
    const slos = Object.fromEntries((report.body.slos as { id: string; status: string; total: number; attainment: number | null; worst: { value: string }[]; approvalWait?: unknown }[]).map((s) => [s.id, s]));
    assert.ok(slos['refund-processing']!.total >= 1 && slos['refund-processing']!.attainment !== null);
    assert.ok(slos['order-sync']!.total >= 1);
    assert.ok(slos['case-updates']!.total >= 2);
    assert.ok(slos['inventory-visibility']!.total >= 1 && slos['inventory-visibility']!.attainment !== null);
    const wait = slos['refund-processing']!.approvalWait as { count: number; meanSeconds: number };
    assert.ok(wait.count >= 2 && wait.meanSeconds >= 2, `both refunds waited 1 s, then 1 s after the escalation: ${JSON.stringify(wait)}`);
    assert.ok(total(worker, `${n.refundApprovalWait}_count`, { region: good.region }) >= 1);
    assert.deepEqual(report.body.sources, [{ url: metricsUrl, ok: true }]);
    assertProblem(await world.call('GET', '/v1/slo?by=city', { key: keys.reader }), 400, 'validation');
    assert.equal((await world.call('GET', '/v1/slo', { key: null })).status, 401);

    const failures = await listFailures(world.env.client, { since: new Date(Date.now() - 3_600_000), by: 'store', limit: 1000 });
    const mine = failures.processes.find((p) => p.workflowId === `refund/${rejected.caseNumber}`);
    assert.ok(mine, 'the rejected refund is listed');
    assert.deepEqual([mine.status, mine.store, mine.region, mine.orderNumber], ['FAILED', rejected.storeId, rejected.region, rejected.orderNumber]);
    assert.ok(failures.groups.some((g) => g.value === rejected.storeId && g.count >= 1));

    // Every metric the alert rules and the dashboard use is exported by the worker or the API.
    const exported = new Set([...worker, ...(await scrape(`${world.url}/metrics`))].map((s) => s.name));
    for (const file of ['ops/prometheus/alerts.yml', 'ops/grafana/retail-slo.json']) {
      const missing = [...referencedMetrics(readFileSync(resolve(root, file), 'utf8'))].filter((m) => !exported.has(m));
      assert.deepEqual(missing, [], `${file} references metrics nobody exports`);
    }
  });
});
