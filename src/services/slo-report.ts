import { z } from 'zod';
import { durationSeconds, type SloConfig } from '../config/slo';
import { businessMetricNames } from '../observability/business-metrics';
import { queryVector } from './prometheus';

/**
 * Each SLO's attainment, error budget and worst contributors, read from the workers' Prometheus
 * endpoints (SLO_METRICS_URLS): the histograms the workers record from real timestamps are the one
 * source, so this report, the alert rules and the dashboard can never disagree about what "good" is.
 * Read from the workers, counters are cumulative since each worker started; a window (`since`) is
 * read from the Prometheus server scraping them (SLO_PROMETHEUS_URL), with the same arithmetic.
 */
export const SloGroupBySchema = z.enum(['region', 'store', 'segment']);
export type SloGroupBy = z.infer<typeof SloGroupBySchema>;

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The Prometheus text exposition format's samples (comments and timestamps dropped). */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    const value = m[3] === '+Inf' ? Infinity : Number(m[3]);
    if (Number.isFinite(value)) samples.push({ name: m[1]!, labels, value });
  }
  return samples;
}

export const SloContributorSchema = z.object({ value: z.string(), total: z.number().int(), bad: z.number().int(), attainment: z.number() });
export const SloStatusSchema = z.object({
  id: z.string(),
  description: z.string(),
  metric: z.string(),
  targetSeconds: z.number(),
  objective: z.number(),
  window: z.string(),
  /** "ok", "burning" (budget left below zero), or "no-data" when nothing was measured yet. */
  status: z.enum(['ok', 'burning', 'no-data']),
  total: z.number().int(),
  good: z.number().int(),
  attainment: z.number().nullable(),
  /** 1 = untouched, 0 = spent, negative = overspent. */
  budgetLeft: z.number().nullable(),
  /** Error ratio over the allowed error ratio: 1 spends the budget exactly over the window. */
  burnRate: z.number().nullable(),
  worst: z.array(SloContributorSchema),
  /** Refund processing only: the supervisor's wait, reported apart. */
  approvalWait: z.object({ count: z.number().int(), meanSeconds: z.number().nullable() }).optional(),
});
export const SloReportSchema = z.object({
  generatedAt: z.string(),
  /** Which business key `worst` is grouped by (not "by": External Services renames Apex keywords). */
  groupedBy: SloGroupBySchema,
  /** The window the counts cover, when read from Prometheus; absent, the workers' counts since they started. */
  since: z.string().optional(),
  sources: z.array(z.object({ url: z.string(), ok: z.boolean(), error: z.string().optional() })),
  slos: z.array(SloStatusSchema),
});
export type SloStatus = z.infer<typeof SloStatusSchema>;
export type SloReport = z.infer<typeof SloReportSchema>;

/** Reads every endpoint; one that does not answer is listed as such and the report still comes from the rest. */
export async function scrapeMetrics(urls: string[], timeoutMs = 3000): Promise<{ samples: Sample[]; sources: SloReport['sources'] }> {
  const results = await Promise.all(
    urls.map(async (url) => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return { url, ok: true, samples: parsePrometheusText(await res.text()) };
      } catch (err) {
        return { url, ok: false, error: (err as Error).message, samples: [] as Sample[] };
      }
    }),
  );
  return { samples: results.flatMap((r) => r.samples), sources: results.map(({ url, ok, error }) => ({ url, ok, ...(error ? { error } : {}) })) };
}

/** The bucket bound a target is read at: the largest `le` at or below it (the buckets include every configured target). */
function goodBound(bounds: number[], target: number): number | undefined {
  return bounds.filter((b) => b <= target + 1e-9).sort((a, b) => b - a)[0];
}

export function sloReport(config: SloConfig, samples: Sample[], by: SloGroupBy, sources: SloReport['sources'] = []): SloReport {
  const slos = config.slos.map((slo): SloStatus => {
    const target = durationSeconds(slo.target);
    const buckets = samples.filter((s) => s.name === `${slo.metric}_bucket`);
    const bound = goodBound([...new Set(buckets.map((s) => Number(s.labels.le)))].filter(Number.isFinite), target);
    const tally = (rows: Sample[]) => {
      const total = rows.filter((s) => s.labels.le === '+Inf').reduce((n, s) => n + s.value, 0);
      const good = bound === undefined ? 0 : rows.filter((s) => Number(s.labels.le) === bound).reduce((n, s) => n + s.value, 0);
      return { total: Math.round(total), good: Math.round(good) };
    };
    const { total, good } = tally(buckets);
    const allowed = 1 - slo.objective;
    const attainment = total > 0 ? good / total : null;
    const burnRate = attainment === null ? null : (1 - attainment) / allowed;
    const groups = new Map<string, Sample[]>();
    for (const s of buckets) {
      const key = s.labels[by];
      if (key !== undefined) groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    const worst = [...groups]
      .map(([value, rows]) => {
        const t = tally(rows);
        return { value, total: t.total, bad: t.total - t.good, attainment: t.total ? t.good / t.total : 1 };
      })
      .filter((c) => c.bad > 0)
      .sort((a, b) => b.bad - a.bad || a.attainment - b.attainment)
      .slice(0, 5);
    const status: SloStatus = {
      id: slo.id,
      description: slo.description,
      metric: slo.metric,
      targetSeconds: target,
      objective: slo.objective,
      window: slo.window,
      status: attainment === null ? 'no-data' : burnRate! > 1 ? 'burning' : 'ok',
      total,
      good,
      attainment,
      budgetLeft: burnRate === null ? null : 1 - burnRate,
      burnRate,
      worst,
    };
    if (slo.id === 'refund-processing') {
      const wait = (suffix: string) => samples.filter((s) => s.name === `${businessMetricNames.refundApprovalWait}_${suffix}`).reduce((n, s) => n + s.value, 0);
      const count = Math.round(wait('count'));
      status.approvalWait = { count, meanSeconds: count ? wait('sum') / count : null };
    }
    return status;
  });
  return { generatedAt: new Date().toISOString(), groupedBy: by, sources, slos };
}

/** A window Prometheus evaluates: 30m, 24h, 7d (the shape `retailctl failures --since` takes). */
export const SloSinceSchema = z.string().regex(/^[1-9]\d{0,4}[mhd]$/, 'a duration like 30m, 24h or 7d');

/** The PromQL of a windowed report, each with the sample name its answers stand for: per SLO the histogram's increase per bucket and group, and the approval wait's. */
export function sloWindowQueries(config: SloConfig, since: string, by: SloGroupBy): { name: string; query: string }[] {
  const window = SloSinceSchema.parse(since);
  const wait = businessMetricNames.refundApprovalWait;
  return [
    // Summed by bucket and the grouping key only: series without the key still count in the totals.
    ...config.slos.map((slo) => ({ name: `${slo.metric}_bucket`, query: `sum by (le, ${by}) (increase(${slo.metric}_bucket[${window}]))` })),
    ...(config.slos.some((slo) => slo.id === 'refund-processing') ? ['count', 'sum'].map((suffix) => ({ name: `${wait}_${suffix}`, query: `sum(increase(${wait}_${suffix}[${window}]))` })) : []),
  ];
}

/** The report over the last `since`, from Prometheus; a query it refuses or a server that does not answer is listed as the source's error. */
export async function readSloReportFromPrometheus(config: SloConfig, by: SloGroupBy, since: string, prometheusUrl: string, at = new Date()): Promise<SloReport> {
  const queries = sloWindowQueries(config, since, by);
  let samples: Sample[] = [];
  let source: SloReport['sources'][number] = { url: prometheusUrl, ok: true };
  try {
    const answers = await Promise.all(queries.map(({ query }) => queryVector(prometheusUrl, query, at)));
    samples = answers.flatMap((vector, i) => vector.map(({ labels, value }) => ({ name: queries[i]!.name, labels, value })));
  } catch (err) {
    source = { url: prometheusUrl, ok: false, error: (err as Error).message };
  }
  return { ...sloReport(config, samples, by, [source]), since };
}

/** Scrapes the configured workers and reports; with `since`, asks the configured Prometheus for that window instead. */
export async function readSloReport(config: SloConfig, by: SloGroupBy, since?: string): Promise<SloReport> {
  if (since !== undefined) {
    if (!config.prometheusUrl) throw new Error('a window (since) needs a Prometheus server: set SLO_PROMETHEUS_URL');
    return readSloReportFromPrometheus(config, by, since, config.prometheusUrl);
  }
  const { samples, sources } = await scrapeMetrics(config.metricsUrls);
  return sloReport(config, samples, by, sources);
}
