import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSloConfig, loadSloConfig } from '../../src/config/slo';
import { BoundedLabel, histogramBuckets } from '../../src/observability/business-metrics';
import { instantQueryUrl } from '../../src/services/prometheus';
import { parsePrometheusText, SloSinceSchema, sloReport, sloWindowQueries } from '../../src/services/slo-report';
import { sinceTime } from '../../src/starters/cli/commands/slo';

describe('SLO configuration, label bounds and the budget arithmetic', () => {
  it('loads SLO_CONFIG_FILE over the defaults and refuses a bad one with the field named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slo-'));
    const file = join(dir, 'slo.json');
    writeFileSync(file, JSON.stringify({ labels: { ...defaultSloConfig.labels, store: { pinned: ['114'], max: 5 } } }));
    const config = loadSloConfig({ SLO_CONFIG_FILE: file, SLO_METRICS_URLS: 'http://w1:9464/metrics, http://w2:9464/metrics' });
    assert.deepEqual(config.labels.store, { pinned: ['114'], max: 5 });
    assert.deepEqual(config.metricsUrls, ['http://w1:9464/metrics', 'http://w2:9464/metrics']);
    assert.equal(config.slos.length, 4);
    writeFileSync(file, JSON.stringify({ slos: [{ ...defaultSloConfig.slos[0], target: 'soon' }] }));
    assert.throws(() => loadSloConfig({ SLO_CONFIG_FILE: file }), /slo\.slos\.0\.target/);
    writeFileSync(file, JSON.stringify({ slos: [defaultSloConfig.slos[0], defaultSloConfig.slos[0]] }));
    assert.throws(() => loadSloConfig({ SLO_CONFIG_FILE: file }), /each SLO id at most once/);
  });

  it('keeps pinned and first-seen label values up to the bound, the rest become "other"', () => {
    const store = new BoundedLabel({ pinned: ['114'], max: 3 });
    assert.deepEqual(['201', '202', '203', '114', '201', undefined].map((v) => store.of(v)), ['201', '202', 'other', '114', '201', 'none']);
  });

  it('puts every SLO target on a bucket bound', () => {
    const buckets = histogramBuckets({ ...defaultSloConfig, slos: [{ ...defaultSloConfig.slos[0]!, target: '45s' }] });
    assert.ok(buckets.retail_order_sync_latency_seconds!.includes(45));
  });

  it('reads attainment, burn rate and worst contributors off the histogram buckets', () => {
    const text = [
      '# TYPE retail_order_sync_latency_seconds histogram',
      'retail_order_sync_latency_seconds_bucket{region="EU",le="60"} 90',
      'retail_order_sync_latency_seconds_bucket{region="EU",le="+Inf"} 100',
      'retail_order_sync_latency_seconds_bucket{region="NA",le="60"} 400',
      'retail_order_sync_latency_seconds_bucket{region="NA",le="+Inf"} 400',
      'retail_order_sync_latency_seconds_count{region="EU"} 100',
    ].join('\n');
    const report = sloReport(defaultSloConfig, parsePrometheusText(text), 'region');
    const sync = report.slos.find((s) => s.id === 'order-sync')!;
    assert.deepEqual([sync.total, sync.good, sync.attainment], [500, 490, 0.98]);
    // 2% errors against a 1% allowance: burning twice as fast as the budget allows.
    assert.ok(Math.abs(sync.burnRate! - 2) < 1e-9 && Math.abs(sync.budgetLeft! + 1) < 1e-9);
    assert.equal(sync.status, 'burning');
    assert.deepEqual(sync.worst, [{ value: 'EU', total: 100, bad: 10, attainment: 0.9 }]);
    assert.equal(report.slos.find((s) => s.id === 'inventory-visibility')!.status, 'no-data');
  });

  it('turns --since into a time and refuses what is not a duration', () => {
    assert.equal(sinceTime('24h', Date.parse('2026-11-30T12:00:00Z')).toISOString(), '2026-11-29T12:00:00.000Z');
    assert.throws(() => sinceTime('yesterday'), /--since/);
    assert.throws(() => sinceTime('0h'), /--since/);
  });

  it('builds the windowed PromQL per SLO and the instant-query URL Prometheus documents', () => {
    const queries = sloWindowQueries(defaultSloConfig, '24h', 'store');
    assert.deepEqual(queries[0], { name: 'retail_order_sync_latency_seconds_bucket', query: 'sum by (le, store) (increase(retail_order_sync_latency_seconds_bucket[24h]))' });
    assert.deepEqual(queries.map((q) => q.name).slice(-2), ['retail_refund_approval_wait_seconds_count', 'retail_refund_approval_wait_seconds_sum']);
    assert.equal(queries.at(-1)!.query, 'sum(increase(retail_refund_approval_wait_seconds_sum[24h]))');
    assert.throws(() => sloWindowQueries(defaultSloConfig, '1h] or vector(1', 'store'));
    assert.ok(SloSinceSchema.safeParse('7d').success && !SloSinceSchema.safeParse('0m').success && !SloSinceSchema.safeParse('90s').success);
    const url = new URL(instantQueryUrl('http://prom:9090/prefix', 'sum(x{a="b"})', new Date(1_700_000_000_500)));
    assert.equal(url.pathname, '/prefix/api/v1/query');
    assert.equal(url.searchParams.get('query'), 'sum(x{a="b"})');
    assert.equal(url.searchParams.get('time'), '1700000000.500');
    assert.equal(loadSloConfig({ SLO_PROMETHEUS_URL: 'http://prom:9090' }).prometheusUrl, 'http://prom:9090');
    assert.equal(loadSloConfig({}).prometheusUrl, undefined);
    assert.throws(() => loadSloConfig({ SLO_PROMETHEUS_URL: 'not a url' }), /slo\.prometheusUrl/);
  });
});
