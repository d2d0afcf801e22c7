import { context as otelContext, trace } from '@opentelemetry/api';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import { z } from 'zod';
import type { Config } from '../config';
import type { BusinessMetrics } from '../observability/business-metrics';
import { businessAttributes, withBusinessKeys, type BusinessKeys } from '../observability/trace-context';
import { businessContextHeader, type BusinessSinks } from '../workflows/lib/business-signals';

/** What a workflow's activity header carries; anything else is ignored (an old workflow sends none). */
const HeaderSchema = z.object({
  process: z.string(),
  region: z.string().optional(),
  store: z.string().optional(),
  segment: z.string().optional(),
  channel: z.string().optional(),
  caseNumber: z.string().optional(),
  orderNumber: z.string().optional(),
  oldestEventAt: z.number().optional(),
});
export type ActivityBusinessContext = z.infer<typeof HeaderSchema>;

export function businessContextOf(headers: Record<string, unknown>): ActivityBusinessContext | undefined {
  const payload = headers[businessContextHeader];
  if (!payload) return undefined;
  try {
    const parsed = HeaderSchema.safeParse(defaultPayloadConverter.fromPayload(payload as never));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The workflow side's measurements land here (never during replay, so a process is counted once per worker that closed it). */
export function businessSinks(metrics: BusinessMetrics): InjectedSinks<BusinessSinks> {
  return {
    business: {
      processClosed: { fn: (_info, context, outcome, seconds, wait) => metrics.processClosed(context, outcome, seconds, wait), callDuringReplay: false },
      alertRaised: { fn: (_info, context, step) => metrics.alertRaised(context, step), callDuringReplay: false },
      compensated: { fn: (_info, context, step, outcome) => metrics.compensated(context, step, outcome), callDuringReplay: false },
    },
  };
}

/** BUSINESS_TELEMETRY=off: the sink calls workflow code makes land nowhere (not unregistered, which the SDK logs as an error). */
export const silentBusinessSinks: InjectedSinks<BusinessSinks> = {
  business: {
    processClosed: { fn: () => undefined, callDuringReplay: false },
    alertRaised: { fn: () => undefined, callDuringReplay: false },
    compensated: { fn: () => undefined, callDuringReplay: false },
  },
};

/** The activities that write a milestone to the Salesforce Case (the case-updates SLO). */
const caseWrites = new Set(['recordCaseMilestone', 'updateSalesforceCase', 'addSalesforceCaseComment', 'publishCaseProcessStatus', 'createSalesforceEscalationTask']);

const StockWriteSchema = z.object({
  sent: z.array(z.object({ location: z.string(), changedAt: z.string() })),
  answer: z.object({ writtenAt: z.string(), results: z.array(z.object({ ok: z.boolean() })) }),
});

/** The inventory-visibility SLO: each stock change Salesforce accepted, from its event time to Salesforce's answer. */
function recordStockVisibility(metrics: BusinessMetrics, sent: unknown, answer: unknown): void {
  const parsed = StockWriteSchema.safeParse({ sent, answer });
  if (!parsed.success) return;
  const writtenAt = Date.parse(parsed.data.answer.writtenAt);
  parsed.data.sent.forEach((change, i) => {
    if (parsed.data.answer.results[i]?.ok) metrics.stockVisible(change.location, (writtenAt - Date.parse(change.changedAt)) / 1000);
  });
}

/** Times every activity attempt against its system, and the order-sync and case-update latencies on success. */
export function businessActivityInterceptor(config: Config, metrics: BusinessMetrics): ActivityInterceptorsFactory {
  const systemOf = new Map(Object.entries(config.taskQueues).map(([system, queue]) => [queue, system]));
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const { activityType, taskQueue, scheduledTimestampMs } = ctx.info;
        const system = systemOf.get(taskQueue) ?? 'other';
        const context = businessContextOf(input.headers);
        const keys: BusinessKeys | undefined = context && { orderNumber: context.orderNumber, caseNumber: context.caseNumber, store: context.store, region: context.region, segment: context.segment, process: context.process };
        // The activity's span (opened by the OpenTelemetry interceptor before this one) and every downstream call's carry the keys.
        if (keys) trace.getActiveSpan()?.setAttributes(businessAttributes(keys));
        const started = performance.now();
        try {
          const result = await (keys ? otelContext.with(withBusinessKeys(keys), () => next(input)) : next(input));
          metrics.stepCompleted(system, activityType, context, 'ok', (performance.now() - started) / 1000);
          if (caseWrites.has(activityType)) metrics.caseUpdated(context, activityType, (Date.now() - scheduledTimestampMs) / 1000);
          if (activityType === 'upsertSalesforceOrderStatus' && context?.oldestEventAt) metrics.orderSynced(context, (Date.now() - context.oldestEventAt) / 1000);
          if (activityType === 'upsertSalesforceStockAvailability') recordStockVisibility(metrics, input.args[0], result);
          return result;
        } catch (err) {
          const type = err instanceof ApplicationFailure ? (err.type ?? 'ApplicationFailure') : err instanceof Error ? err.name : 'Error';
          metrics.stepCompleted(system, activityType, context, 'failed', (performance.now() - started) / 1000, type);
          throw err;
        }
      },
    },
  });
}
