import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSloConfig } from '../../src/config/slo';
import { queryVector } from '../../src/services/prometheus';
import { freePort, sandboxUrlEnv } from '../helpers/sandbox';
import { isolatedQueueEnv, testEnvTimeoutMs } from '../helpers/temporal';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { runCli } from '../cli/cli-harness';
import { eventually } from '../workflows/case-resolution-world';
import { assertProblem, caseFor, keys, paidByCard, refundToEnd, segmentOf, startApiWorld, type ApiWorld } from '../http/api-world';

type SloRow = { id: string; total: number; good: number; attainment: number | null };

/** The Prometheus binary (Debian's `prometheus` package), or undefined when this machine has none. */
function prometheusBinary(): string | undefined {
  const bin = process.env.PROMETHEUS_BIN ?? 'prometheus';
  return spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0 ? bin : undefined;
}

/**
 * GET /v1/slo?since= against a real Prometheus scraping a real worker process every second: two
 * refunds of one store, the second after Prometheus has seen the first, so the window counts one
 * refund where the worker's counters since start count two. Without Prometheus configured, since is a 400.
 */
describe('SLO report over a window, from a real Prometheus', function () {
  this.timeout(240_000);
  const bin = prometheusBinary();
  let world: ApiWorld;
  let bare: ApiWorld;
  let worker: WorkerProcess;
  let prometheus: ChildProcess | undefined;
  let prometheusUrl: string;
  let dir: string;

  before(async function () {
    if (!bin) {
      console.log('    (skipped: no prometheus binary on this machine; apt-get install prometheus, or set PROMETHEUS_BIN)');
      this.skip();
    }
    this.timeout(testEnvTimeoutMs);
    const metricsPort = await freePort();
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
    writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: retail-worker\n    static_configs:\n      - targets: ['127.0.0.1:${metricsPort}']\n`);
    prometheus = spawn(bin!, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    const queueEnv = isolatedQueueEnv('slo-window');
    world = await startApiWorld({ env: queueEnv, deps: { slo: { ...defaultSloConfig, metricsUrls: [`http://127.0.0.1:${metricsPort}/metrics`], prometheusUrl } } });
    bare = await startApiWorld({ sandbox: false, deps: { slo: defaultSloConfig } });
    worker = spawnWorkerProcess({
      ...queueEnv,
      ...sandboxUrlEnv(world.sandbox!),
      TEMPORAL_ADDRESS: world.env.address,
      TEMPORAL_NAMESPACE: world.env.namespace ?? 'default',
      WORKER_METRICS_PORT: String(metricsPort),
      // No approval and no return: each refund runs to the end by itself.
      RESOLUTION_POLICY: JSON.stringify({ approvalThreshold: { default: 100_000_000 }, returnRequiredFor: [] }),
    });
    await worker.ready;
    await eventually(async () => ((await fetch(`${prometheusUrl}/-/ready`).catch(() => undefined))?.ok ? true : undefined), 60_000, 'Prometheus to be ready');
  });
  after(async () => {
    await worker?.kill('SIGTERM');
    prometheus?.kill('SIGTERM');
    await world?.close();
    await bare?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const refundSlo = (body: Record<string, unknown>) => (body.slos as SloRow[]).find((s) => s.id === 'refund-processing')!;

  it('counts only what happened in the window, with the same arithmetic', async () => {
    const sandbox = world.sandbox!;
    // Two card refunds whose processes share every business label (store, region, segment, channel), so they land on one series.
    const seeded = sandbox.world();
    const labelsOf = (o: (typeof seeded.orders)[number]) => `${o.storeId}|${o.region}|${segmentOf(o, seeded)}|${o.channel}`;
    const refundable = seeded.cases.map((c) => seeded.orders.find((o) => o.orderNumber === c.orderNumber)!).filter((o) => paidByCard(o, seeded));
    const mate = refundable.find((o) => refundable.some((p) => p.orderNumber !== o.orderNumber && labelsOf(p) === labelsOf(o)));
    assert.ok(mate, 'two card-paid cases of one store, region, segment and channel in the seeded world');
    const first = caseFor(sandbox, (o) => o.orderNumber === mate.orderNumber);
    const second = caseFor(sandbox, (o, w) => paidByCard(o, w) && o.orderNumber !== mate.orderNumber && labelsOf(o) === labelsOf(mate));

    await refundToEnd(world, first.caseNumber, first.caseId, () => worker.output());
    // Prometheus has scraped the first refund's series: from here its increase counts only what comes after.
    await eventually(async () => ((await queryVector(prometheusUrl, 'sum(retail_refund_processing_seconds_count)', new Date())).some((s) => s.value >= 1) ? true : undefined), 30_000, 'Prometheus to scrape the first refund');
    await new Promise((ok) => setTimeout(ok, 2_500));
    await refundToEnd(world, second.caseNumber, second.caseId, () => worker.output());

    const cumulative = await world.call('GET', '/v1/slo', { key: keys.reader });
    assert.equal(cumulative.status, 200, cumulative.text);
    assert.equal(refundSlo(cumulative.body).total, 2, 'the worker counted both since it started');

    const windowed = await eventually(async () => {
      const r = await world.call('GET', '/v1/slo?since=10m&by=store', { key: keys.reader });
      return r.status === 200 && refundSlo(r.body).total >= 1 ? r : undefined;
    }, 30_000, 'Prometheus to see the second refund');
    assert.equal(windowed.body.since, '10m');
    assert.deepEqual(windowed.body.sources, [{ url: prometheusUrl, ok: true }]);
    const refund = refundSlo(windowed.body);
    assert.equal(refund.total, 1, `only the refund after the first scrape is in the window: ${JSON.stringify(refund)}`);
    assert.equal(refund.good, 1, 'it finished well within 5 minutes');
    assert.equal(refund.attainment, 1);
    const caseUpdates = (windowed.body.slos as SloRow[]).find((s) => s.id === 'case-updates')!;
    assert.ok(caseUpdates.total >= 1, 'the second refund wrote milestones to its Case');

    // retailctl reads the same window from the same Prometheus.
    const cli = await runCli(['--json', 'slo', '--since', '10m'], { SLO_PROMETHEUS_URL: prometheusUrl });
    assert.equal(cli.code, 0, cli.stderr);
    const fromCli = JSON.parse(cli.stdout) as Record<string, unknown>;
    assert.equal(fromCli.since, '10m');
    assert.equal(refundSlo(fromCli).total, 1);

    // A window Prometheus refuses to parse never reaches it: the API validates the duration first.
    assertProblem(await world.call('GET', '/v1/slo?since=yesterday', { key: keys.reader }), 400, 'validation');
  });

  it('refuses since when no Prometheus is configured, and reports since start without it', async () => {
    const refused = await bare.call('GET', '/v1/slo?since=24h', { key: keys.reader });
    assertProblem(refused, 400, 'validation');
    assert.match(String(refused.body.detail), /SLO_PROMETHEUS_URL/);
    const cli = await runCli(['slo', '--since', '24h'], { SLO_PROMETHEUS_URL: '' });
    assert.equal(cli.code, 2, cli.stdout);
    assert.match(cli.stderr.trim(), /^[^\n]*SLO_PROMETHEUS_URL[^\n]*$/, 'one line naming the setting');
    const bad = await runCli(['slo', '--since', 'yesterday'], { SLO_PROMETHEUS_URL: 'http://127.0.0.1:9' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since/);
  });
});
