import { z } from 'zod';
import { EventSources, type EventSource } from '../domain/order-event';
import { isLoopbackHost } from './api';
import { OrderSyncSettingsSchema } from '../workflows/order-sync/settings';
import { StockSyncSettingsSchema } from '../workflows/stock-sync/settings';
import { parseConfig } from './parse';

export { OrderSyncSettingsSchema, type OrderSyncSettings, type OrderSyncSettingsInput } from '../workflows/order-sync/settings';
export { StockSyncSettingsSchema, type StockSyncSettings, type StockSyncSettingsInput } from '../workflows/stock-sync/settings';

/**
 * Event ingestion settings (POST /v1/events/{source}) and the orderSync workflow's defaults,
 * validated once at start-up like the rest of the config.
 */
const positiveInt = z.coerce.number().int().positive();

export const EventsConfigSchema = z.object({
  /** HMAC secret per source; a source without one refuses every request (401). */
  secrets: z.partialRecord(z.enum(EventSources), z.string().min(16, 'at least 16 characters')).default({}),
  /** Signature timestamps older or newer than this are refused, and seen signatures are remembered this long. */
  toleranceSeconds: positiveInt.default(300),
  /** Require an API key with the "events" scope besides the signature (webhook senders that can set headers). */
  requireApiKey: z.boolean().default(false),
  bodyLimitBytes: positiveInt.default(1024 * 1024),
  maxEventsPerRequest: positiveInt.default(500),
  /** signalWithStart calls in flight per request (when deliveryLanes is 0). */
  signalConcurrency: positiveInt.default(16),
  /** signalWithStart calls in flight across all requests; events for an order still waiting join its call. 0: per request, as signalConcurrency says. */
  deliveryLanes: z.coerce.number().int().min(0).max(1_000).default(64),
  /**
   * Events waiting for a delivery lane across all requests, at most; a request that would go beyond is refused at once with
   * 503 and Retry-After (nothing of it delivered, its signature usable again) instead of waiting behind the backlog.
   */
  maxQueuedEvents: positiveInt.default(10_000),
  /** Signed requests each source may send per window (per source, whatever addresses its senders use). */
  rateLimitPerSource: positiveInt.default(1200),
  /** Requests with a missing or bad signature per client address per window, before 429. */
  rateLimitUnsignedPerAddress: positiveInt.default(60),
  rateLimitWindowMs: positiveInt.default(60_000),
  orderSync: OrderSyncSettingsSchema.prefault({}),
  /** A location's SKUs are spread over this many stockSync workflows (bounded state each); changing it moves SKUs between shards. */
  stockShards: positiveInt.max(256).default(4),
  stockSync: StockSyncSettingsSchema.prefault({}),
});
export type EventsConfig = z.infer<typeof EventsConfigSchema>;
export type EventsConfigInput = z.input<typeof EventsConfigSchema>;

type Env = Record<string, string | undefined>;

const num = (v: string | undefined) => (v ? Number(v) : undefined);
const bool = (v: string | undefined) => (v === undefined ? undefined : ['1', 'true', 'yes', 'on'].includes(v.toLowerCase()));

/**
 * EVENTS_HMAC_SECRET (every source; loopback API only) or EVENTS_HMAC_SECRET_ERP / _WAREHOUSE / _CARRIER / _PAYMENTS,
 * EVENTS_TOLERANCE_SECONDS, EVENTS_REQUIRE_API_KEY, EVENTS_BODY_LIMIT_BYTES, EVENTS_MAX_PER_REQUEST,
 * EVENTS_SIGNAL_CONCURRENCY, EVENTS_DELIVERY_LANES, EVENTS_RATE_LIMIT_PER_SOURCE, EVENTS_RATE_LIMIT_UNSIGNED_PER_ADDRESS,
 * EVENTS_RATE_LIMIT_WINDOW_MS, ORDER_SYNC_COALESCE_WINDOW, ORDER_SYNC_MAX_COALESCE_WINDOW, ORDER_SYNC_MAX_HISTORY_EVENTS,
 * ORDER_SYNC_CLOSE_AFTER_COMPLETE_GRACE, ORDER_SYNC_DEDUP_MEMORY, STOCK_SYNC_SHARDS, STOCK_SYNC_COALESCE_WINDOW,
 * STOCK_SYNC_MAX_COALESCE_WINDOW, STOCK_SYNC_MAX_HISTORY_EVENTS, STOCK_SYNC_DEDUP_MEMORY.
 */
export function eventsConfigFromEnv(env: Env = process.env): EventsConfig {
  const secrets: Partial<Record<EventSource, string>> = {};
  for (const source of EventSources) {
    const secret = env[`EVENTS_HMAC_SECRET_${source.toUpperCase()}`] || env.EVENTS_HMAC_SECRET;
    if (secret) secrets[source] = secret;
  }
  requireOwnSecretsOffLoopback(env, secrets);
  const input = {
    secrets,
    toleranceSeconds: env.EVENTS_TOLERANCE_SECONDS || undefined,
    requireApiKey: bool(env.EVENTS_REQUIRE_API_KEY),
    bodyLimitBytes: env.EVENTS_BODY_LIMIT_BYTES || undefined,
    maxEventsPerRequest: env.EVENTS_MAX_PER_REQUEST || undefined,
    signalConcurrency: env.EVENTS_SIGNAL_CONCURRENCY || undefined,
    deliveryLanes: env.EVENTS_DELIVERY_LANES || undefined,
    maxQueuedEvents: env.EVENTS_MAX_QUEUED || undefined,
    rateLimitPerSource: env.EVENTS_RATE_LIMIT_PER_SOURCE || undefined,
    rateLimitUnsignedPerAddress: env.EVENTS_RATE_LIMIT_UNSIGNED_PER_ADDRESS || undefined,
    rateLimitWindowMs: env.EVENTS_RATE_LIMIT_WINDOW_MS || undefined,
    orderSync: {
      coalesceWindow: env.ORDER_SYNC_COALESCE_WINDOW || undefined,
      maxCoalesceWindow: env.ORDER_SYNC_MAX_COALESCE_WINDOW || undefined,
      maxHistoryEvents: num(env.ORDER_SYNC_MAX_HISTORY_EVENTS),
      closeAfterCompleteGrace: env.ORDER_SYNC_CLOSE_AFTER_COMPLETE_GRACE || undefined,
      dedupMemory: num(env.ORDER_SYNC_DEDUP_MEMORY),
    },
    stockShards: env.STOCK_SYNC_SHARDS || undefined,
    stockSync: {
      coalesceWindow: env.STOCK_SYNC_COALESCE_WINDOW || undefined,
      maxCoalesceWindow: env.STOCK_SYNC_MAX_COALESCE_WINDOW || undefined,
      maxHistoryEvents: num(env.STOCK_SYNC_MAX_HISTORY_EVENTS),
      dedupMemory: num(env.STOCK_SYNC_DEDUP_MEMORY),
    },
  };
  return parseConfig(EventsConfigSchema, input, 'events');
}

/**
 * One secret for every sender means any of them can speak for the others: acceptable only on a loopback
 * API (local development), where every sender is this machine. Anywhere else each source has its own.
 */
function requireOwnSecretsOffLoopback(env: Env, secrets: Partial<Record<EventSource, string>>): void {
  const host = env.API_HOST || '127.0.0.1';
  if (isLoopbackHost(host)) return;
  if (env.EVENTS_HMAC_SECRET) {
    throw new Error(
      `invalid configuration: EVENTS_HMAC_SECRET (one secret shared by every event source) is accepted only when the API listens on loopback, and API_HOST is ${host}; ` +
        'give each source its own secret: EVENTS_HMAC_SECRET_ERP, _WAREHOUSE, _CARRIER, _PAYMENTS',
    );
  }
  const configured = Object.entries(secrets);
  const shared = configured.filter(([source, secret]) => configured.some(([other, s]) => other !== source && s === secret)).map(([source]) => source);
  if (shared.length) throw new Error(`invalid configuration: the event sources ${shared.join(', ')} share one secret; off loopback each source needs its own (EVENTS_HMAC_SECRET_<SOURCE>)`);
}

/** The event settings from defaults plus overrides (tests and embedding). */
export function eventsConfig(input: EventsConfigInput = {}): EventsConfig {
  return EventsConfigSchema.parse(input);
}
