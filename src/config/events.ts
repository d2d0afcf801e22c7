import { z } from 'zod';
import { EventSources, type EventSource } from '../domain/order-event';
import { OrderSyncSettingsSchema } from '../workflows/order-sync/settings';

export { OrderSyncSettingsSchema, type OrderSyncSettings, type OrderSyncSettingsInput } from '../workflows/order-sync/settings';

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
  /** signalWithStart calls in flight per request. */
  signalConcurrency: positiveInt.default(16),
  orderSync: OrderSyncSettingsSchema.prefault({}),
});
export type EventsConfig = z.infer<typeof EventsConfigSchema>;
export type EventsConfigInput = z.input<typeof EventsConfigSchema>;

type Env = Record<string, string | undefined>;

const num = (v: string | undefined) => (v ? Number(v) : undefined);
const bool = (v: string | undefined) => (v === undefined ? undefined : ['1', 'true', 'yes', 'on'].includes(v.toLowerCase()));

/**
 * EVENTS_HMAC_SECRET (every source) or EVENTS_HMAC_SECRET_ERP / _WAREHOUSE / _CARRIER / _PAYMENTS,
 * EVENTS_TOLERANCE_SECONDS, EVENTS_REQUIRE_API_KEY, EVENTS_BODY_LIMIT_BYTES, EVENTS_MAX_PER_REQUEST,
 * EVENTS_SIGNAL_CONCURRENCY, ORDER_SYNC_COALESCE_WINDOW, ORDER_SYNC_MAX_COALESCE_WINDOW, ORDER_SYNC_MAX_HISTORY_EVENTS,
 * ORDER_SYNC_CLOSE_AFTER_COMPLETE_GRACE, ORDER_SYNC_DEDUP_MEMORY.
 */
export function eventsConfigFromEnv(env: Env = process.env): EventsConfig {
  const secrets: Partial<Record<EventSource, string>> = {};
  for (const source of EventSources) {
    const secret = env[`EVENTS_HMAC_SECRET_${source.toUpperCase()}`] || env.EVENTS_HMAC_SECRET;
    if (secret) secrets[source] = secret;
  }
  const parsed = EventsConfigSchema.safeParse({
    secrets,
    toleranceSeconds: env.EVENTS_TOLERANCE_SECONDS || undefined,
    requireApiKey: bool(env.EVENTS_REQUIRE_API_KEY),
    bodyLimitBytes: env.EVENTS_BODY_LIMIT_BYTES || undefined,
    maxEventsPerRequest: env.EVENTS_MAX_PER_REQUEST || undefined,
    signalConcurrency: env.EVENTS_SIGNAL_CONCURRENCY || undefined,
    orderSync: {
      coalesceWindow: env.ORDER_SYNC_COALESCE_WINDOW || undefined,
      maxCoalesceWindow: env.ORDER_SYNC_MAX_COALESCE_WINDOW || undefined,
      maxHistoryEvents: num(env.ORDER_SYNC_MAX_HISTORY_EVENTS),
      closeAfterCompleteGrace: env.ORDER_SYNC_CLOSE_AFTER_COMPLETE_GRACE || undefined,
      dedupMemory: num(env.ORDER_SYNC_DEDUP_MEMORY),
    },
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${['events', ...i.path].join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  return parsed.data;
}

/** The event settings from defaults plus overrides (tests and embedding). */
export function eventsConfig(input: EventsConfigInput = {}): EventsConfig {
  return EventsConfigSchema.parse(input);
}
