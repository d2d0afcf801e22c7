import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { businessAttributes, tracer, withBusinessKeys, type BusinessKeys } from '../../observability/trace-context';

const spans = new WeakMap<FastifyRequest, Span>();

/** The business keys a request names (body or path), so its span and the process it starts are found by them. */
function keysOf(request: FastifyRequest): BusinessKeys {
  const pick = (source: unknown, name: string) => {
    const v = source && typeof source === 'object' ? (source as Record<string, unknown>)[name] : undefined;
    return typeof v === 'string' && v.length <= 128 ? v : undefined;
  };
  return {
    caseNumber: pick(request.body, 'caseNumber') ?? pick(request.params, 'caseNumber'),
    orderNumber: pick(request.body, 'orderNumber') ?? pick(request.params, 'orderNumber'),
  };
}

/**
 * One SERVER span per request (continuing a caller's traceparent), named by the route template; the
 * handler runs inside it, so the Temporal client's spans and the process's spans join the same trace.
 * With no tracer provider installed every call here is the API's no-op.
 */
export function installRequestTracing(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const parent = propagation.extract(context.active(), request.headers);
    const span = tracer().startSpan(
      `${request.method} ${request.routeOptions.url ?? 'unmatched'}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': request.routeOptions.url ?? 'unmatched', 'retail.request_id': request.id } },
      parent,
    );
    spans.set(request, span);
    done();
  });
  // After the body is parsed: its keys label the span, and the handler runs in the span's context.
  app.addHook('preHandler', (request, _reply, done) => {
    const span = spans.get(request);
    if (!span) return done();
    const keys = keysOf(request);
    span.setAttributes(businessAttributes(keys));
    context.with(withBusinessKeys(keys, trace.setSpan(context.active(), span)), done);
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = spans.get(request);
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}
