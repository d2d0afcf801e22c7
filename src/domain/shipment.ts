import { z } from 'zod';

/** Canonical tracking milestones, whatever codes the carrier uses. */
export const MilestoneCodeSchema = z.enum(['label_created', 'picked_up', 'in_transit', 'out_for_delivery', 'delivered', 'exception']);
export type MilestoneCode = z.infer<typeof MilestoneCodeSchema>;

export const TrackingMilestoneSchema = z.object({
  code: MilestoneCodeSchema,
  carrierCode: z.string(),
  description: z.string(),
  location: z.string().optional(),
  occurredAt: z.iso.datetime(),
});
export type TrackingMilestone = z.infer<typeof TrackingMilestoneSchema>;

export const TrackingSchema = z.object({
  trackingNumber: z.string().min(1),
  carrier: z.string(),
  /** The latest milestone reached (label_created before the first scan). */
  status: MilestoneCodeSchema,
  estimatedDelivery: z.string().optional(),
  /** Oldest first. */
  milestones: z.array(TrackingMilestoneSchema),
});
export type Tracking = z.infer<typeof TrackingSchema>;

export const ShipmentStatusSchema = z.enum(['shipped', 'delivered']);
export type ShipmentStatus = z.infer<typeof ShipmentStatusSchema>;

export const ShipmentEventSchema = z.object({
  eventId: z.string(),
  type: z.string(),
  occurredAt: z.iso.datetime(),
  location: z.string().optional(),
});
export type ShipmentEvent = z.infer<typeof ShipmentEventSchema>;

/** A parcel that left the warehouse for an order (or a replacement order). */
export const ShipmentSchema = z.object({
  shipmentId: z.string().min(1),
  orderNumber: z.string().min(1),
  releaseId: z.string().optional(),
  warehouseId: z.string(),
  carrier: z.string(),
  trackingNumber: z.string(),
  status: ShipmentStatusSchema,
  shippedAt: z.iso.datetime(),
  deliveredAt: z.iso.datetime().optional(),
  events: z.array(ShipmentEventSchema),
});
export type Shipment = z.infer<typeof ShipmentSchema>;
