import { z } from 'zod';

/** The WMS's wire shapes (upper-case statuses, its own field names). */
export const WmsLine = z.object({ lineNumber: z.number().int().optional(), sku: z.string(), quantity: z.number().int() });

export const WmsRelease = z.object({
  id: z.string(),
  type: z.enum(['ORDER', 'REPLACEMENT']),
  orderNumber: z.string().optional(),
  replacementOrderNumber: z.string().optional(),
  warehouseId: z.string(),
  status: z.enum(['RELEASED', 'PICKED', 'PACKED', 'SHIPPED', 'DELIVERED', 'CANCELLED']),
  lines: z.array(WmsLine),
  createdAt: z.string(),
  shipmentId: z.string().nullish(),
});
export type WmsRelease = z.infer<typeof WmsRelease>;

export const WmsShipment = z.object({
  id: z.string(),
  releaseId: z.string().nullish(),
  orderNumber: z.string(),
  warehouseId: z.string(),
  carrierCode: z.string(),
  trackingNumber: z.string(),
  status: z.enum(['SHIPPED', 'DELIVERED']),
  shippedAt: z.string(),
  deliveredAt: z.string().nullish(),
  events: z.array(z.object({ eventId: z.string(), eventType: z.string(), eventTime: z.string(), location: z.string().nullish() })),
});
export type WmsShipment = z.infer<typeof WmsShipment>;

export const WmsOrderShipments = z.object({ orderNumber: z.string(), shipments: z.array(WmsShipment) });

export const WmsAllocations = z.object({
  orderNumber: z.string(),
  allocations: z.array(
    z.object({
      orderNumber: z.string(),
      lineNumber: z.number().int().optional(),
      sku: z.string(),
      quantity: z.number().int(),
      warehouseId: z.string(),
      releaseId: z.string().optional(),
      allocationStatus: z.enum(['ALLOCATED', 'SHIPPED', 'DEALLOCATED']),
    }),
  ),
});
export type WmsAllocations = z.infer<typeof WmsAllocations>;

export const WmsReturnReceipt = z.object({
  id: z.string(),
  rmaNumber: z.string(),
  warehouseId: z.string().nullish(),
  condition: z.enum(['new', 'opened', 'damaged', 'defective']),
  lines: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
  receivedAt: z.string(),
  restocked: z.boolean(),
});
export type WmsReturnReceipt = z.infer<typeof WmsReturnReceipt>;

export const WmsErrorBody = z.object({ status: z.literal('error'), errorCode: z.string(), errorMessage: z.string().optional() });
