import { z } from 'zod';

/**
 * Stock changes pushed by the systems that count stock: the ERP (its inventory ledger) and the
 * warehouse (WMS counts at a distribution centre). Each is mapped to one canonical StockChange for
 * one SKU at one location, which the stockSync workflow folds into that SKU-location's availability.
 */
export const StockSources = ['erp', 'warehouse'] as const;
export const StockSourceSchema = z.enum(StockSources);
export type StockSource = z.infer<typeof StockSourceSchema>;

// Both become part of the workflow id and the Salesforce external id: no "/", "@" or spaces.
const Code = (what: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .regex(/^[^/@\s]+$/, `no "/", "@" or spaces (the ${what} becomes part of the workflow id and the Salesforce external id)`);
export const SkuSchema = Code('SKU');
export const LocationSchema = Code('location');
const EventId = z.string().min(1).max(128);
const Quantity = z.number().int().min(0).max(1_000_000_000);

/** What both sources send: `stock.changed`, sequence = the source's version of this SKU-location's stock. */
export const StockWireEventSchema = z.object({
  id: EventId,
  type: z.literal('stock.changed'),
  sku: SkuSchema,
  location: LocationSchema,
  onHand: Quantity,
  reserved: Quantity.default(0),
  sequence: z.number().int().nonnegative(),
  occurredAt: z.iso.datetime({ offset: true }),
});

/** One change to one SKU's stock at one location, whichever system counted it. */
export const StockChangeSchema = z.object({
  eventId: EventId,
  source: StockSourceSchema,
  sku: SkuSchema,
  location: LocationSchema,
  onHand: Quantity,
  reserved: Quantity,
  /** onHand - reserved, never below zero (more reserved than on hand sells nothing). */
  available: Quantity,
  sequence: z.number().int().nonnegative(),
  occurredAt: z.iso.datetime({ offset: true }),
});
export type StockChange = z.infer<typeof StockChangeSchema>;

export type ParsedStockChange = { ok: true; change: StockChange } | { ok: false; eventId?: string; reason: string };

/** One event as the source sent it → the canonical change, or why it is refused (first field issue). */
export function toStockChange(source: StockSource, raw: unknown): ParsedStockChange {
  const parsed = StockWireEventSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const r = (raw ?? {}) as Record<string, unknown>;
    return { ok: false, eventId: EventId.safeParse(r.id).data, reason: `invalid: ${issue.path.join('.') || 'event'}: ${issue.message}` };
  }
  const e = parsed.data;
  return {
    ok: true,
    change: { eventId: e.id, source, sku: e.sku, location: e.location, onHand: e.onHand, reserved: e.reserved, available: Math.max(0, e.onHand - e.reserved), sequence: e.sequence, occurredAt: e.occurredAt },
  };
}

/** The availability record's key in Salesforce (Availability_Key__c) and in the workflow's state. */
export const availabilityKey = (sku: string, location: string): string => `${sku}@${location}`;

/** Which of a location's shards holds a SKU (FNV-1a): bounded state per workflow however many SKUs a location stocks. */
export function stockShard(sku: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < sku.length; i++) {
    hash ^= sku.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}
