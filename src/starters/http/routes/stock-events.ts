import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { eventsConfigFromEnv, type EventsConfig } from '../../../config/events';
import { StockSources, stockShard, toStockChange, type StockChange, type StockSource } from '../../../domain/stock-event';
import { stockChangeSignal, stockSyncWorkflowId, type stockSync } from '../../../workflows/stock-sync';
import { acceptSignedBodies, signedSenders } from '../events/signed-senders';
import { operation, type Operation } from '../operations';
import { z } from '../schemas/zod';
import type { RouteDeps } from './deps';
import { eventsOf, inParallel, invalid } from './events';

const SourceParamsSchema = z.object({
  source: z.enum(StockSources).openapi({ param: { name: 'source', in: 'path', description: 'The system that counted the stock' }, example: 'warehouse' }),
});

export const IncomingStockEventSchema = z
  .object({
    id: z.string().min(1).max(128).openapi({ description: 'The sender\'s event id (dedup key with the source)', example: 'evt-wms-4711' }),
    type: z.literal('stock.changed'),
    sku: z.string().min(1).max(64).openapi({ example: 'SKU-1001' }),
    location: z.string().min(1).max(64).openapi({ description: 'Warehouse or store id', example: 'WH-EAST' }),
    onHand: z.number().int().min(0),
    reserved: z.number().int().min(0).optional().openapi({ description: 'Held for orders and replacements (default 0); available = onHand - reserved' }),
    sequence: z.number().int().min(0).openapi({ description: 'The source\'s version of this SKU-location\'s stock, increasing; older ones are ignored' }),
    occurredAt: z.string().max(64).openapi({ description: 'ISO 8601 timestamp of the count', example: '2026-11-30T10:15:00Z' }),
  })
  .openapi('IncomingStockEvent');

export const StockEventBatchSchema = z
  .object({ events: z.array(IncomingStockEventSchema).min(1) })
  .openapi('StockEventBatch', { description: 'A batch of stock changes; one bare event object is accepted too' });

export const StockEventResultSchema = z
  .object({
    index: z.number().int().openapi({ description: 'Position in the batch' }),
    eventId: z.string().optional(),
    status: z.enum(['accepted', 'rejected']),
    reason: z.string().optional().openapi({ description: 'Why the event was rejected (the first invalid field)' }),
  })
  .openapi('StockEventResult');

export const StockEventIngestResultSchema = z
  .object({ accepted: z.number().int(), rejected: z.number().int(), results: z.array(StockEventResultSchema) })
  .openapi('StockEventIngestResult');

type StockEventResult = z.infer<typeof StockEventResultSchema>;

/**
 * POST /v1/stock-events/{source}: stock counts from the ERP or the warehouse, signed like the order
 * events. Valid changes go to their location shard's stockSync workflow (signalWithStart
 * stock/{location}/{shard}, one signal per shard per request), which coalesces them into
 * Product_Availability__c upserts.
 */
export function stockEventIngestion(deps: RouteDeps, settings: EventsConfig = eventsConfigFromEnv()): { operation: Operation; routes: (app: FastifyInstance) => Promise<void> } {
  const { client, config, logger } = deps;
  const authenticate = signedSenders(settings);
  const { orchestration: taskQueue, salesforce, erp, warehouse, payments } = config.taskQueues;
  const taskQueues = { salesforce, erp, warehouse, payments };

  const deliver = async (location: string, shard: number, changes: StockChange[]) => {
    await client.workflow.signalWithStart<typeof stockSync, StockChange[]>('stockSync', {
      workflowId: stockSyncWorkflowId(location, shard),
      taskQueue,
      args: [{ location, shard, settings: settings.stockSync, taskQueues }],
      signal: stockChangeSignal,
      signalArgs: changes,
      staticSummary: `Stock at ${location} (shard ${shard}) → Salesforce`,
    });
  };

  const ingest = async (request: FastifyRequest, reply: FastifyReply, source: StockSource) => {
    const { raw, release } = authenticate(request, reply, source, settings.secrets[source]);
    try {
      const results: StockEventResult[] = [];
      const byShard = new Map<string, { location: string; shard: number; changes: StockChange[] }>();
      eventsOf(raw, settings.maxEventsPerRequest).forEach((rawEvent, index) => {
        const parsed = toStockChange(source, rawEvent);
        if (!parsed.ok) return results.push({ index, eventId: parsed.eventId, status: 'rejected', reason: parsed.reason });
        const { change } = parsed;
        const shard = stockShard(change.sku, settings.stockShards);
        const id = stockSyncWorkflowId(change.location, shard);
        const group = byShard.get(id) ?? { location: change.location, shard, changes: [] };
        group.changes.push(change);
        byShard.set(id, group);
        results.push({ index, eventId: change.eventId, status: 'accepted' });
      });
      await inParallel([...byShard.values()], settings.signalConcurrency, (g) => deliver(g.location, g.shard, g.changes));
      const accepted = results.filter((r) => r.status === 'accepted').length;
      logger.info('stock events received', { requestId: request.id, source, accepted, rejected: results.length - accepted, shards: byShard.size });
      return { accepted, rejected: results.length - accepted, results };
    } catch (err) {
      // Nothing (or not everything) was delivered: the sender's retry with this signature must get through.
      release();
      throw err;
    }
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const source = SourceParamsSchema.shape.source.safeParse((request.params as { source?: string }).source);
    if (!source.success) throw invalid('path.source', `the source must be one of ${StockSources.join(', ')}`);
    return reply.code(202).send(StockEventIngestResultSchema.parse(await ingest(request, reply, source.data)));
  };

  return {
    operation: operation({
      operationId: 'ingestStockEvents',
      method: 'post',
      path: '/v1/stock-events/{source}',
      tag: 'events',
      summary: 'Receive a batch of stock changes from the ERP or the warehouse',
      description:
        'Signed like the order events: X-Retail-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "v1:<source>:<t>:<raw body>"> with the source\'s secret. ' +
        'Each valid change is delivered to its location\'s stock sync (stock/{location}/{shard}); accepted means delivered, and the process ignores duplicates and changes older than the last applied sequence.',
      scope: 'events',
      params: SourceParamsSchema,
      body: StockEventBatchSchema,
      problems: [413],
      success: { status: 202, description: 'Per event: accepted (delivered) or rejected (invalid)', schema: StockEventIngestResultSchema },
      handle: async ({ request, reply }) => handle(request, reply),
    }),
    routes: async (app) => {
      acceptSignedBodies(app, settings);
      app.post('/v1/stock-events/:source', { bodyLimit: settings.bodyLimitBytes, config: { rateLimit: false as const } }, handle);
    },
  };
}
