import { z } from 'zod';
import { ItemQuantitySchema } from './order';

/** Stock of one SKU in one warehouse; available = onHand - reserved. */
export const StockAvailabilitySchema = z.object({
  sku: z.string().min(1),
  warehouseId: z.string().min(1),
  onHand: z.number().int().nonnegative(),
  reserved: z.number().int().nonnegative(),
  available: z.number().int(),
});
export type StockAvailability = z.infer<typeof StockAvailabilitySchema>;

export const ReserveStockRequestSchema = z.object({
  warehouseId: z.string().min(1),
  lines: z.array(ItemQuantitySchema).min(1),
  /** The order (or case) the stock is held for. */
  orderNumber: z.string().optional(),
  caseNumber: z.string().optional(),
});
export type ReserveStockRequest = z.infer<typeof ReserveStockRequestSchema>;

export const ReservationSchema = z.object({
  reservationId: z.string().min(1),
  warehouseId: z.string().min(1),
  lines: z.array(ItemQuantitySchema),
  orderNumber: z.string().optional(),
  caseNumber: z.string().optional(),
  /** consumed: the held stock shipped (it left on-hand and reserved together). */
  status: z.enum(['active', 'released', 'consumed']),
  createdAt: z.string().datetime(),
  releasedAt: z.string().datetime().optional(),
  consumedAt: z.string().datetime().optional(),
});
export type Reservation = z.infer<typeof ReservationSchema>;
