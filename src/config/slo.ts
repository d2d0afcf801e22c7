import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseConfig } from './parse';

/**
 * The integration SLOs and the label bounds of the business metrics, from SLO_CONFIG_FILE (JSON) over
 * the defaults below, validated once at start-up by every process that measures or reports them.
 */
const DurationText = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration like 500ms, 30s, 5m, 2h or 28d');

export const SloIdSchema = z.enum(['order-sync', 'inventory-visibility', 'refund-processing', 'case-updates']);
export type SloId = z.infer<typeof SloIdSchema>;

export const SloSchema = z
  .object({
    id: SloIdSchema,
    description: z.string().min(1),
    /** The histogram (seconds) the SLO is measured on. */
    metric: z.string().regex(/^[a-z_][a-z0-9_]*$/),
    /** A measurement is good when it is at most this long. */
    target: DurationText,
    /** The share of measurements that must be good, e.g. 0.99 for "p99 within the target". */
    objective: z.number().gt(0).lt(1),
    /** The window the objective holds over (the error budget's period). */
    window: DurationText,
  })
  .strict();
export type Slo = z.infer<typeof SloSchema>;

/** How many distinct values a label keeps before folding the rest into "other"; pinned values always count. */
const LabelBoundSchema = z.object({ pinned: z.array(z.string().min(1)).default([]), max: z.number().int().min(1).max(500) }).strict();
export type LabelBound = z.infer<typeof LabelBoundSchema>;

export const SloConfigSchema = z
  .object({
    slos: z.array(SloSchema).min(1).refine((slos) => new Set(slos.map((s) => s.id)).size === slos.length, 'each SLO id at most once'),
    labels: z
      .object({ store: LabelBoundSchema, region: LabelBoundSchema, segment: LabelBoundSchema, channel: LabelBoundSchema })
      .strict(),
    /** Worker metrics endpoints the API reads for GET /v1/slo (SLO_METRICS_URLS overrides). */
    metricsUrls: z.array(z.url()).min(1),
    /** A Prometheus server scraping those workers (SLO_PROMETHEUS_URL); set, reports can cover a window (`since`). */
    prometheusUrl: z.url().optional(),
  })
  .strict();
export type SloConfig = z.infer<typeof SloConfigSchema>;

export const defaultSloConfig: SloConfig = {
  slos: [
    {
      id: 'order-sync',
      description: 'An ERP, warehouse, carrier or payment event shows on the Salesforce Order',
      metric: 'retail_order_sync_latency_seconds',
      target: '60s',
      objective: 0.99,
      window: '28d',
    },
    {
      id: 'inventory-visibility',
      description: 'A stock change is visible in Salesforce',
      metric: 'retail_inventory_visibility_seconds',
      target: '5m',
      objective: 0.99,
      window: '28d',
    },
    {
      id: 'refund-processing',
      description: 'A refund runs from its start to refunded, not counting the wait for a supervisor (reported apart)',
      metric: 'retail_refund_processing_seconds',
      target: '5m',
      objective: 0.95,
      window: '28d',
    },
    {
      id: 'case-updates',
      description: 'A milestone is written to the Salesforce Case (comment, status or process event)',
      metric: 'retail_case_update_latency_seconds',
      target: '30s',
      objective: 0.99,
      window: '28d',
    },
  ],
  labels: {
    store: { pinned: [], max: 50 },
    region: { pinned: [], max: 20 },
    segment: { pinned: [], max: 10 },
    channel: { pinned: [], max: 10 },
  },
  metricsUrls: ['http://127.0.0.1:9464/metrics'],
};

type Env = Record<string, string | undefined>;

/** SLO_CONFIG_FILE over the defaults (sections replace defaults whole); SLO_METRICS_URLS (comma-separated) and SLO_PROMETHEUS_URL over both. */
export function loadSloConfig(env: Env = process.env): SloConfig {
  const file = env.SLO_CONFIG_FILE?.trim();
  let fromFile: Record<string, unknown> = {};
  if (file) {
    try {
      fromFile = z.record(z.string(), z.unknown()).parse(JSON.parse(readFileSync(file, 'utf8')));
    } catch (err) {
      throw new Error(`invalid configuration: SLO_CONFIG_FILE ${file}: ${err instanceof z.ZodError ? 'not a JSON object' : (err as Error).message}`);
    }
  }
  const urls = env.SLO_METRICS_URLS?.trim();
  const prometheusUrl = env.SLO_PROMETHEUS_URL?.trim();
  const merged = { ...defaultSloConfig, ...fromFile, ...(urls ? { metricsUrls: urls.split(',').map((u) => u.trim()) } : {}), ...(prometheusUrl ? { prometheusUrl } : {}) };
  return parseConfig(SloConfigSchema, merged, 'slo');
}

const unitSeconds = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** "30s" → 30; the config schema guarantees the shape. */
export function durationSeconds(text: string): number {
  const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(text) ?? [];
  if (!amount || !unit) throw new Error(`not a duration: ${text}`);
  return Number(amount) * unitSeconds[unit as keyof typeof unitSeconds];
}
