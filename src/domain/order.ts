import { z } from 'zod';
import { MoneySchema } from './money';

/** Lifecycle of a customer order as the ERP (the system of record) reports it. */
export const OrderStatusSchema = z.enum(['created', 'allocated', 'shipped', 'delivered', 'cancelled']);
export type OrderStatus = z.infer<typeof OrderStatusSchema>;

export const OrderChannelSchema = z.enum(['web', 'store', 'call-center', 'marketplace', 'replacement']);
export type OrderChannel = z.infer<typeof OrderChannelSchema>;

export const OrderLineSchema = z.object({
  lineNumber: z.number().int().positive(),
  sku: z.string().min(1),
  quantity: z.number().int().positive(),
  unitPrice: MoneySchema,
  /** Already credited (non-void credit memos) and shipped again (open replacement orders), as the ERP counts them. */
  refundedQuantity: z.number().int().nonnegative().optional(),
  replacedQuantity: z.number().int().nonnegative().optional(),
});
export type OrderLine = z.infer<typeof OrderLineSchema>;

export const OrderSchema = z.object({
  orderNumber: z.string().min(1),
  customerId: z.string().min(1),
  storeId: z.string().min(1),
  region: z.string().min(1),
  channel: OrderChannelSchema,
  status: OrderStatusSchema,
  placedAt: z.string().datetime(),
  updatedAt: z.string().datetime(),
  /** Increases with every change of the order; events carry it so stale ones can be dropped. */
  version: z.number().int().nonnegative(),
  lines: z.array(OrderLineSchema),
  total: MoneySchema,
  paymentId: z.string().optional(),
  shipmentId: z.string().optional(),
  trackingNumber: z.string().optional(),
  carrier: z.string().optional(),
});
export type Order = z.infer<typeof OrderSchema>;

/** One page of orders changed since a point in time; pass nextCursor back for the next page. */
export const OrderPageSchema = z.object({
  orders: z.array(OrderSchema),
  nextCursor: z.string().optional(),
});
export type OrderPage = z.infer<typeof OrderPageSchema>;

export const ChangedOrdersQuerySchema = z.object({
  changedSince: z.string().datetime(),
  pageSize: z.number().int().min(1).max(500).optional(),
  cursor: z.string().optional(),
});
export type ChangedOrdersQuery = z.infer<typeof ChangedOrdersQuerySchema>;

/** Items shipped again to the customer instead of a refund (the replacement process). */
export const ItemQuantitySchema = z.object({ sku: z.string().min(1), quantity: z.number().int().positive() });
export type ItemQuantity = z.infer<typeof ItemQuantitySchema>;

export const ReplacementOrderRequestSchema = z.object({
  originalOrderNumber: z.string().min(1),
  warehouseId: z.string().min(1),
  /** lineNumber: the original order's line shipped again, so the ERP counts it as replaced. */
  lines: z.array(ItemQuantitySchema.extend({ lineNumber: z.number().int().positive().optional() })).min(1),
  reservationId: z.string().optional(),
  reason: z.string().optional(),
});
export type ReplacementOrderRequest = z.infer<typeof ReplacementOrderRequestSchema>;

export const ReplacementOrderSchema = z.object({
  replacementOrderId: z.string().min(1),
  /** The new order the ERP opened for the replacement items. */
  orderNumber: z.string().min(1),
  originalOrderNumber: z.string().min(1),
  warehouseId: z.string().min(1),
  lines: z.array(ItemQuantitySchema),
  reservationId: z.string().optional(),
  status: z.enum(['open', 'cancelled']),
  createdAt: z.string().datetime(),
});
export type ReplacementOrder = z.infer<typeof ReplacementOrderSchema>;
