import { context, createContextKey, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';

/**
 * What every span of the product needs, on the OpenTelemetry API alone (no SDK), so connectors can
 * use it: the tracer, the business keys carried in the context, and client spans for HTTP calls.
 */
export const tracer = () => trace.getTracer('retail-orchestrator');

/** The business keys of the process a call belongs to, carried in the context so every downstream span is labelled alike. */
const BUSINESS = createContextKey('retail.business');

export interface BusinessKeys {
  orderNumber?: string;
  caseNumber?: string;
  store?: string;
  region?: string;
  segment?: string;
  process?: string;
}

export function withBusinessKeys(keys: BusinessKeys, ctx: Context = context.active()): Context {
  return ctx.setValue(BUSINESS, keys);
}

/** Span attributes (retail.order_number, …) for the business keys in the active context. */
export function businessAttributes(keys: BusinessKeys | undefined = context.active().getValue(BUSINESS) as BusinessKeys | undefined): Attributes {
  if (!keys) return {};
  const names: Record<keyof BusinessKeys, string> = {
    orderNumber: 'retail.order_number',
    caseNumber: 'retail.case_number',
    store: 'retail.store',
    region: 'retail.region',
    segment: 'retail.segment',
    process: 'retail.process',
  };
  return Object.fromEntries(Object.entries(keys).filter(([, v]) => typeof v === 'string' && v).map(([k, v]) => [names[k as keyof BusinessKeys], v as string]));
}

/** A CLIENT span around one downstream HTTP call, carrying the business keys; returns the headers that carry the trace on. */
export function startHttpSpan(system: string, operation: string, method: string, url: string): { span: Span; headers: Record<string, string> } {
  const span = tracer().startSpan(`${system} ${operation}`, {
    kind: SpanKind.CLIENT,
    attributes: { 'http.request.method': method.toUpperCase(), 'url.full': url, 'retail.system': system, 'retail.operation': operation, ...businessAttributes() },
  });
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), headers);
  return { span, headers };
}

export function endHttpSpan(span: Span, status: number | undefined, error?: unknown): void {
  if (status !== undefined) span.setAttribute('http.response.status_code', status);
  if (error !== undefined || (status !== undefined && status >= 400)) span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : undefined });
  span.end();
}
