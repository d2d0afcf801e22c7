import type { MetricMeter, MetricTags } from '@temporalio/common';
import type { LabelBound, SloConfig } from '../config/slo';
import { durationSeconds } from '../config/slo';

/**
 * The business metrics the worker exports next to the SDK's on its Prometheus endpoint (through the
 * SDK's metric meter, so workflow, activity and SDK metrics share one /metrics). Every label has a
 * bounded set of values: process, system, activity, outcome and step come from code; store, region,
 * segment and channel keep at most their configured number of values (pinned ones first) and fold
 * the rest into "other", so a flash sale across 3,000 stores cannot explode the series count.
 */
export const businessMetricNames = {
  processDuration: 'retail_process_duration_seconds',
  processes: 'retail_processes_total',
  refundProcessing: 'retail_refund_processing_seconds',
  refundApprovalWait: 'retail_refund_approval_wait_seconds',
  stepDuration: 'retail_step_duration_seconds',
  stepFailures: 'retail_step_failures_total',
  alerts: 'retail_alerts_total',
  compensations: 'retail_compensations_total',
  orderSyncLatency: 'retail_order_sync_latency_seconds',
  caseUpdateLatency: 'retail_case_update_latency_seconds',
  /** Stock change (event time) → its availability record written in Salesforce, by location (a store or a warehouse). */
  inventoryVisibility: 'retail_inventory_visibility_seconds',
} as const;

/** Bucket bounds (seconds) per histogram, with every SLO target added so attainment is read off a bucket exactly. */
export function histogramBuckets(slo: SloConfig): Record<string, number[]> {
  const latency = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
  const process = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 14_400, 86_400, 259_200, 604_800];
  const withTargets = (bounds: number[], metric: string) =>
    [...new Set([...bounds, ...slo.slos.filter((s) => s.metric === metric).map((s) => durationSeconds(s.target))])].sort((a, b) => a - b);
  const n = businessMetricNames;
  return Object.fromEntries([
    ...[n.stepDuration, n.orderSyncLatency, n.caseUpdateLatency, n.inventoryVisibility].map((m) => [m, withTargets(latency, m)]),
    ...[n.processDuration, n.refundProcessing, n.refundApprovalWait].map((m) => [m, withTargets(process, m)]),
  ]);
}

/** Keeps at most `max` distinct values (pinned ones always), the rest become "other"; a missing value is "none". */
export class BoundedLabel {
  private readonly seen: Set<string>;
  constructor(private readonly bound: LabelBound) {
    this.seen = new Set(bound.pinned);
  }
  of(value: string | undefined): string {
    const v = value?.trim().slice(0, 64);
    if (!v) return 'none';
    if (this.seen.has(v)) return v;
    if (this.seen.size >= Math.max(this.bound.max, this.bound.pinned.length)) return 'other';
    this.seen.add(v);
    return v;
  }
}

export interface BusinessLabels {
  process: string;
  region?: string;
  store?: string;
  segment?: string;
  channel?: string;
}

/** Step names may embed keys ("salesforce-order:SO-1"); the label keeps the part before the first colon. */
const stepLabel = (step: string) => step.split(':')[0]!.replace(/[0-9]+/g, '#').slice(0, 48) || 'step';

export type BusinessMetrics = ReturnType<typeof createBusinessMetrics>;

export function createBusinessMetrics(meter: MetricMeter, slo: SloConfig) {
  const bounds = { store: new BoundedLabel(slo.labels.store), region: new BoundedLabel(slo.labels.region), segment: new BoundedLabel(slo.labels.segment), channel: new BoundedLabel(slo.labels.channel) };
  const n = businessMetricNames;
  const processDuration = meter.createHistogram(n.processDuration, 'float', 's', 'Process duration from start to close, by process, outcome and business labels');
  const processes = meter.createCounter(n.processes, '1', 'Processes closed, by process, outcome and business labels');
  const refundProcessing = meter.createHistogram(n.refundProcessing, 'float', 's', 'Refunds from start to refunded, less the wait for a supervisor');
  const approvalWait = meter.createHistogram(n.refundApprovalWait, 'float', 's', 'Time refunds waited for a supervisor (approval, escalation)');
  const stepDuration = meter.createHistogram(n.stepDuration, 'float', 's', 'One activity attempt against a downstream system, by system, activity and outcome');
  const stepFailures = meter.createCounter(n.stepFailures, '1', 'Failed activity attempts, by system, activity and failure type');
  const alerts = meter.createCounter(n.alerts, '1', 'Alerts raised by processes (a step that keeps failing)');
  const compensations = meter.createCounter(n.compensations, '1', 'Saga compensations, undone or stuck (retrying)');
  const orderSyncLatency = meter.createHistogram(n.orderSyncLatency, 'float', 's', 'From the oldest unwritten order event (its occurredAt) to the Salesforce Order upsert');
  const inventoryVisibility = meter.createHistogram(n.inventoryVisibility, 'float', 's', 'From a stock change (its event time) to its availability record written in Salesforce');
  const caseUpdateLatency = meter.createHistogram(n.caseUpdateLatency, 'float', 's', 'From a Case milestone being scheduled to it being written to Salesforce (retries included)');

  const business = (c: BusinessLabels): MetricTags => ({
    process: c.process,
    region: bounds.region.of(c.region),
    store: bounds.store.of(c.store),
    segment: bounds.segment.of(c.segment),
    channel: bounds.channel.of(c.channel),
  });
  const seconds = (s: number) => Math.max(0, s);

  return {
    processClosed(context: BusinessLabels, outcome: string, totalSeconds: number, approvalWaitSeconds: number): void {
      const tags = { ...business(context), outcome };
      processDuration.record(seconds(totalSeconds), tags);
      processes.add(1, tags);
      if (context.process !== 'refund') return;
      if (approvalWaitSeconds > 0) approvalWait.record(seconds(approvalWaitSeconds), business(context));
      if (outcome === 'refunded') refundProcessing.record(seconds(totalSeconds - approvalWaitSeconds), business(context));
    },
    alertRaised(context: BusinessLabels, step: string): void {
      alerts.add(1, { ...business(context), step: stepLabel(step) });
    },
    compensated(context: BusinessLabels, step: string, outcome: 'undone' | 'stuck'): void {
      compensations.add(1, { ...business(context), step: stepLabel(step), outcome });
    },
    stepCompleted(system: string, activity: string, context: BusinessLabels | undefined, outcome: 'ok' | 'failed', elapsedSeconds: number, failureType?: string): void {
      const tags = { system, activity, process: context?.process ?? 'none', region: bounds.region.of(context?.region), outcome };
      stepDuration.record(seconds(elapsedSeconds), tags);
      if (outcome === 'failed') stepFailures.add(1, { system, activity, process: tags.process, error_type: failureType ?? 'Error' });
    },
    orderSynced(context: BusinessLabels | undefined, latencySeconds: number): void {
      orderSyncLatency.record(seconds(latencySeconds), { region: bounds.region.of(context?.region), store: bounds.store.of(context?.store), channel: bounds.channel.of(context?.channel) });
    },
    stockVisible(location: string, latencySeconds: number): void {
      inventoryVisibility.record(seconds(latencySeconds), { store: bounds.store.of(location) });
    },
    caseUpdated(context: BusinessLabels | undefined, activity: string, latencySeconds: number): void {
      caseUpdateLatency.record(seconds(latencySeconds), { ...business(context ?? { process: 'none' }), activity });
    },
  };
}
