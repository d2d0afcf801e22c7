import { z } from 'zod';
import type { DownstreamError } from '../../domain/errors';
import { OrderStatusSchema } from '../../domain/order';
import { MilestoneCodeSchema } from '../../domain/shipment';

/**
 * What the front office shows about an order: its status and latest shipment milestone. Upserted
 * by order number; customerId and placedAt let Salesforce create an order it has not seen yet.
 */
export const OrderStatusUpdateSchema = z.object({
  orderNumber: z.string().min(1).regex(/^[^/]+$/, 'order numbers cannot contain "/" (used in the upsert URL)'),
  status: OrderStatusSchema,
  shipmentStatus: MilestoneCodeSchema.optional(),
  trackingNumber: z.string().optional(),
  carrier: z.string().optional(),
  customerId: z.string().optional(),
  placedAt: z.string().optional(),
});
export type OrderStatusUpdate = z.infer<typeof OrderStatusUpdateSchema>;

export interface OrderUpsertResult {
  orderId: string;
  created: boolean;
}

/** Orders per sObject Collections call (Salesforce's limit). */
export const MAX_ORDERS_PER_COLLECTION = 200;

/** One order's outcome in a collections upsert: its record, or the error its own upsert would have thrown. */
export type OrderUpsertOutcome = { ok: true; result: OrderUpsertResult } | { ok: false; error: DownstreamError };

export interface BulkOrderUpsertResult {
  jobId: string;
  created: number;
  updated: number;
  failed: number;
  failures: { orderNumber: string; errorCode: string; message: string }[];
}
