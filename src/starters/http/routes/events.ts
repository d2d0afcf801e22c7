import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { eventsConfigFromEnv, type EventsConfig } from '../../../config/events';
import { EventSourceSchema, EventSources, toOrderEvent, type EventSource, type OrderEvent } from '../../../domain/order-event';
import { orderEventSignal, orderSyncWorkflowId, type orderSync } from '../../../workflows/order-sync';
import { shipmentEventSignal, type ShipmentEvent } from '../../../workflows/replacement';
import { OrderNumber } from '../../../workflows/search-attributes';
import { SOURCE_HEADER } from '../events/signature';
import { OrderDeliveryQueue } from '../events/deliveries';
import { acceptSignedBodies, signedSenders } from '../events/signed-senders';
import { operation, type Operation } from '../operations';
import { Problem } from '../problems';
import { z } from '../schemas/zod';
import type { RouteDeps } from './deps';

const SourceParamsSchema = z.object({
  source: z.enum(EventSources).openapi({ param: { name: 'source', in: 'path', description: 'The system that sends the events' }, example: 'erp' }),
});

/** Every field any source sends (each source's own schema decides which it requires; see src/domain/order-event.ts). */
export const IncomingEventSchema = z
  .object({
    id: z.string().min(1).max(128).openapi({ description: 'The sender\'s event id (dedup key with the source)', example: 'evt-erp-SO-100013-4' }),
    type: z.string().min(1).max(64).openapi({ description: 'erp: order.status_changed; warehouse: release.picked|release.packed|release.cancelled|shipment.shipped|shipment.delivered; carrier: tracking.updated; payments: payment.authorized|captured|refunded|failed', example: 'order.status_changed' }),
    orderNumber: z.string().min(1).max(64).openapi({ example: 'SO-100013' }),
    sequence: z.number().int().min(0).optional().openapi({ description: 'Per source and order, increasing (erp: the order version; warehouse: the event number); older ones are ignored' }),
    occurredAt: z.string().max(64).openapi({ description: 'ISO 8601 timestamp', example: '2025-03-01T10:15:00Z' }),
    status: z.string().max(32).optional().openapi({ description: 'erp: created, allocated, shipped, delivered or cancelled' }),
    releaseId: z.string().max(128).optional(),
    clientReference: z.string().max(255).optional(),
    shipmentId: z.string().max(128).optional(),
    trackingNumber: z.string().max(128).optional(),
    carrier: z.string().max(128).optional(),
    milestone: z.string().max(32).optional().openapi({ description: 'carrier: label_created, picked_up, in_transit, out_for_delivery, delivered or exception' }),
    location: z.string().max(200).optional(),
    paymentId: z.string().max(128).optional(),
    amount: z.number().int().min(0).optional().openapi({ description: 'payments: minor units' }),
    currency: z.string().length(3).optional(),
  })
  .openapi('IncomingEvent');

export const EventBatchSchema = z
  .object({ events: z.array(IncomingEventSchema).min(1) })
  .openapi('EventBatch', { description: 'A batch of events; one bare event object (as webhooks send) is accepted too' });

export const EventResultSchema = z
  .object({
    index: z.number().int().openapi({ description: 'Position in the batch' }),
    eventId: z.string().optional(),
    orderNumber: z.string().optional(),
    status: z.enum(['accepted', 'rejected']),
    reason: z.string().optional().openapi({ description: 'Why the event was rejected (the first invalid field)' }),
  })
  .openapi('EventResult');

export const EventIngestResultSchema = z
  .object({
    accepted: z.number().int(),
    rejected: z.number().int(),
    results: z.array(EventResultSchema),
  })
  .openapi('EventIngestResult');

type EventResult = z.infer<typeof EventResultSchema>;

export interface EventIngestion {
  /** For the OpenAPI document. */
  operation: Operation;
  /** The routes, in their own context: raw bodies (the signature covers the bytes), the signature as the credential. */
  routes: (app: FastifyInstance) => Promise<void>;
}

/**
 * POST /v1/events/{source} (and POST /v1/events with X-Retail-Event-Source, the sandbox's single
 * webhook URL): verify the signature over the raw body, validate each event, deliver the valid ones
 * to their orders' workflows (signalWithStart order/{orderNumber}, at most one signal per order per request,
 * shared with concurrent requests' events for the order while it waits for a delivery lane),
 * answer 202 with a result per event. The signature authenticates the sender; an API key, when sent,
 * must carry the "events" scope (and is required when EVENTS_REQUIRE_API_KEY is set).
 */
/** Warehouse event types → the replacement's shipment milestones (a cancelled release is the saga's own doing). */
const shipmentEventType: Record<string, ShipmentEvent['type'] | undefined> = {
  'release.picked': 'picked',
  'release.packed': 'packed',
  'shipment.shipped': 'shipped',
  'shipment.delivered': 'delivered',
};

export function eventIngestion(deps: RouteDeps, settings: EventsConfig = eventsConfigFromEnv(), metrics?: Registry): EventIngestion {
  const { client, config, logger } = deps;
  const authenticate = signedSenders(settings);
  const { orchestration: taskQueue, salesforce, erp, warehouse, payments } = config.taskQueues;
  const taskQueues = { salesforce, erp, warehouse, payments };

  const deliver = async (orderNumber: string, events: OrderEvent[]) => {
    await client.workflow.signalWithStart<typeof orderSync, OrderEvent[]>('orderSync', {
      workflowId: orderSyncWorkflowId(orderNumber),
      taskQueue,
      args: [{ orderNumber, settings: settings.orderSync, taskQueues }],
      signal: orderEventSignal,
      signalArgs: events,
      typedSearchAttributes: [{ key: OrderNumber, value: orderNumber }],
      staticSummary: `Order ${orderNumber}: events → Salesforce`,
    });
  };

  const shared = settings.deliveryLanes > 0 ? new OrderDeliveryQueue(deliver, settings.deliveryLanes, settings.maxEventsPerRequest, settings.maxQueuedEvents) : undefined;
  // The backlog and what it shed, on the API's /metrics.
  if (shared && metrics) {
    new Gauge({ name: 'retail_events_delivery_backlog', help: 'Order events waiting for a delivery lane (POST /v1/events), across requests', registers: [metrics], collect() { this.set(shared.backlog); } });
  }
  const shed = metrics && new Counter({ name: 'retail_events_shed_requests_total', help: 'Event requests refused with 503 because the delivery backlog was full', labelNames: ['source'] as const, registers: [metrics] });

  // A release a replacement asked for carries that process's id: its shipment events go to it as well.
  const forwardToReplacements = async (events: OrderEvent[]) => {
    for (const event of events) {
      const reference = event.shipment?.clientReference;
      const type = event.shipment ? shipmentEventType[event.type] : undefined;
      if (!reference?.startsWith('replacement/') || !type) continue;
      try {
        await client.workflow.getHandle(reference).signal(shipmentEventSignal, {
          eventId: `${event.source}:${event.eventId}`,
          type,
          releaseId: event.shipment?.releaseId,
          trackingNumber: event.shipment?.trackingNumber,
          carrier: event.shipment?.carrier,
          occurredAt: event.occurredAt,
        });
      } catch (err) {
        // A replacement that already closed (or never existed here) has nothing left to learn.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        logger.info('shipment event for a closed replacement', { workflowId: reference, eventId: event.eventId });
      }
    }
  };

  const ingest = async (request: FastifyRequest, reply: FastifyReply, source: EventSource) => {
    const { raw, release } = authenticate(request, reply, source, settings.secrets[source]);
    try {
      const events = eventsOf(raw, settings.maxEventsPerRequest);
      const results: EventResult[] = [];
      const byOrder = new Map<string, OrderEvent[]>();
      events.forEach((rawEvent, index) => {
        const parsed = toOrderEvent(source, rawEvent);
        if (!parsed.ok) return results.push({ index, eventId: parsed.eventId, orderNumber: parsed.orderNumber, status: 'rejected', reason: parsed.reason });
        const { event } = parsed;
        byOrder.set(event.orderNumber, [...(byOrder.get(event.orderNumber) ?? []), event]);
        results.push({ index, eventId: event.eventId, orderNumber: event.orderNumber, status: 'accepted' });
      });
      if (shared) {
        // A backlog beyond its bound sheds the request before anything of it is queued: the sender retries after the wait.
        const wait = shared.admit([...byOrder.values()].reduce((n, orderEvents) => n + orderEvents.length, 0));
        if (wait) {
          shed?.inc({ source });
          logger.warn('events refused: delivery backlog full', { requestId: request.id, source, backlog: shared.backlog, retryAfterSeconds: wait.retryAfterSeconds });
          reply.header('retry-after', String(wait.retryAfterSeconds));
          throw new Problem(503, 'overloaded', 'Service unavailable', `${shared.backlog} events are waiting for delivery to their orders (at most ${settings.maxQueuedEvents}); retry after ${wait.retryAfterSeconds} s`);
        }
        // Every order at once into the shared lanes; the settled results say whether all of this request's were delivered.
        const delivered = await Promise.allSettled([...byOrder].map(([orderNumber, orderEvents]) => shared.deliver(orderNumber, orderEvents)));
        const failed = delivered.find((d): d is PromiseRejectedResult => d.status === 'rejected');
        if (failed) throw failed.reason;
        await inParallel([...byOrder.values()], settings.signalConcurrency, forwardToReplacements);
      } else {
        await inParallel([...byOrder], settings.signalConcurrency, async ([orderNumber, orderEvents]) => {
          await deliver(orderNumber, orderEvents);
          await forwardToReplacements(orderEvents);
        });
      }
      const accepted = results.filter((r) => r.status === 'accepted').length;
      logger.info('events received', { requestId: request.id, source, accepted, rejected: results.length - accepted, orders: byOrder.size });
      return { accepted, rejected: results.length - accepted, results };
    } catch (err) {
      // Nothing (or not everything) was delivered: the sender's retry with this signature must get through.
      release();
      throw err;
    }
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const fromPath = (request.params as { source?: string }).source;
    const fromHeader = request.headers[SOURCE_HEADER];
    const named = fromPath ?? (typeof fromHeader === 'string' ? fromHeader : undefined);
    const source = EventSourceSchema.safeParse(named);
    if (!source.success) throw invalid('path.source', `the source must be one of ${EventSources.join(', ')} (in the path or the ${SOURCE_HEADER} header)`);
    if (fromPath && typeof fromHeader === 'string' && fromHeader !== fromPath) throw invalid(`header.${SOURCE_HEADER}`, 'the event source header differs from the path');
    const result = await ingest(request, reply, source.data);
    return reply.code(202).send(EventIngestResultSchema.parse(result));
  };

  return {
    operation: operation({
      operationId: 'ingestEvents',
      method: 'post',
      path: '/v1/events/{source}',
      tag: 'events',
      summary: 'Receive a batch of order events from the ERP, the warehouse, a carrier or the payment provider',
      description:
        'Signed like a webhook: X-Retail-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "v1:<source>:<t>:<raw body>"> with the source\'s secret; ' +
        `signatures older than ${settings.toleranceSeconds} s, reused or wrong are refused (401). The API key is optional unless configured (scope "events"). ` +
        'Each valid event is delivered to its order\'s sync process (order/{orderNumber}); accepted means delivered, and the process ignores duplicates and stale events.',
      scope: 'events',
      params: SourceParamsSchema,
      body: EventBatchSchema,
      problems: [413],
      success: { status: 202, description: 'Per event: accepted (delivered to its order) or rejected (invalid)', schema: EventIngestResultSchema },
      handle: async ({ request, reply }) => handle(request, reply),
    }),
    routes: async (app) => {
      acceptSignedBodies(app, settings);
      // Not the API's per-key/per-address limiter: signed senders are limited per source inside the handler.
      const options = { bodyLimit: settings.bodyLimitBytes, config: { rateLimit: false as const } };
      app.post('/v1/events/:source', options, handle);
      app.post('/v1/events', options, handle);
    },
  };
}

export function invalid(path: string, message: string): Problem {
  return new Problem(400, 'validation', 'Invalid request', message, { errors: [{ path, code: 'invalid', message }] });
}

/** The events of a body: `{ events: [...] }`, or one event object. */
export function eventsOf(raw: Buffer, max: number): unknown[] {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalid('body', 'the body is not JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('body', 'send { "events": [...] } or one event object');
  const events = 'events' in body ? (body as { events: unknown }).events : [body];
  if (!Array.isArray(events) || events.length === 0) throw invalid('body.events', 'events must be a non-empty array');
  if (events.length > max) throw new Problem(413, 'payload-too-large', 'Too many events', `at most ${max} events per request`);
  return events;
}

export async function inParallel<T>(items: T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await run(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}
