import { z } from 'zod';
import { LocationSchema, SkuSchema, StockSourceSchema, availabilityKey } from '../../domain/stock-event';

/** What the front office shows about one SKU at one location; upserted by Availability_Key__c (SKU@location). */
export const StockAvailabilityUpdateSchema = z.object({
  sku: SkuSchema,
  location: LocationSchema,
  onHand: z.number().int().nonnegative(),
  reserved: z.number().int().nonnegative(),
  available: z.number().int().nonnegative(),
  source: StockSourceSchema,
  /** The source's sequence of the change shown. */
  version: z.number().int().nonnegative(),
  /** When the source counted it (the event's time). */
  changedAt: z.iso.datetime({ offset: true }),
});
export type StockAvailabilityUpdate = z.infer<typeof StockAvailabilityUpdateSchema>;

/** A Product_Availability__c as read back: what an agent sees in Salesforce. */
export const ShownAvailabilityRecordSchema = z.object({ SKU__c: z.string(), Location__c: z.string(), Available__c: z.number(), Stock_Changed_At__c: z.string().nullish() });
export interface ShownAvailability {
  sku: string;
  location: string;
  available: number;
  changedAt?: string;
}

/** Salesforce's sObject Collections answer per record. */
export const CollectionItemResultSchema = z.object({
  id: z.string().nullish(),
  success: z.boolean(),
  created: z.boolean().optional(),
  errors: z.array(z.object({ statusCode: z.string(), message: z.string(), fields: z.array(z.string()).optional() }).loose()),
});

export interface StockAvailabilityResult {
  /** Per record, in the order sent. */
  results: { key: string; ok: boolean; created?: boolean; errorCode?: string; message?: string }[];
  /** When Salesforce answered: with each change's event time, the visibility lag. */
  writtenAt: string;
}

/** One collections record (the key travels in the body, so "@" needs no encoding). */
export function fromStockAvailability(u: StockAvailabilityUpdate): Record<string, unknown> {
  return {
    attributes: { type: 'Product_Availability__c' },
    Availability_Key__c: availabilityKey(u.sku, u.location),
    Name: `${u.sku} @ ${u.location}`,
    SKU__c: u.sku,
    Location__c: u.location,
    On_Hand__c: u.onHand,
    Reserved__c: u.reserved,
    Available__c: u.available,
    Stock_Source__c: u.source,
    Stock_Version__c: u.version,
    Stock_Changed_At__c: u.changedAt,
  };
}
