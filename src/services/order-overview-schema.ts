import { z } from 'zod';
import { NonRetryableTypes, RetryableTypes } from '../domain/errors';
import { OrderChannelSchema, OrderStatusSchema } from '../domain/order';
import { PaymentStatusSchema } from '../domain/payment';
import { MilestoneCodeSchema, ShipmentStatusSchema } from '../domain/shipment';

/**
 * The agent's one-screen view of an order. Shaped for Salesforce External Services and Flow: every
 * object a named component (meta id), lists only of named objects or strings, enums as strings,
 * amounts as integer minor units next to a currency (Flow divides by 100 for display).
 */

const MinorUnits = z.number().int().describe('Amount in minor units of the currency (cents): 1234 = 12.34');

export const OverviewPartSchema = z
  .enum(['order', 'shipments', 'tracking', 'stock', 'payment', 'returnability', 'returnEligibility'])
  .describe('A part of the overview that could not be read');
export const OverviewSystemSchema = z.enum(['erp', 'warehouse', 'carrier', 'payments']);
export const OverviewFailureTypeSchema = z
  .enum([...RetryableTypes, ...NonRetryableTypes, 'DependencyUnavailableError', 'UnexpectedError'])
  .describe('Why: the classified downstream failure; DependencyUnavailableError = not asked because the order itself could not be read');

export const OverviewMissingPartSchema = z
  .object({
    part: OverviewPartSchema,
    system: OverviewSystemSchema,
    failureType: OverviewFailureTypeSchema,
    message: z.string(),
    /** For tracking: the parcel whose milestones are missing. */
    reference: z.string().optional().describe('The tracking number, for a missing tracking part'),
  })
  .meta({ id: 'OverviewMissingPart', description: 'One part of the overview that is missing, and why' });

export const OverviewOrderSchema = z
  .object({
    orderNumber: z.string(),
    status: OrderStatusSchema,
    channel: OrderChannelSchema,
    placedAt: z.string().describe('ISO 8601'),
    customerId: z.string(),
    storeId: z.string(),
    region: z.string(),
    currency: z.string(),
    totalAmount: MinorUnits,
    paymentId: z.string().optional(),
  })
  .meta({ id: 'OverviewOrder', description: 'The order as the ERP (system of record) holds it' });

export const OverviewOrderLineSchema = z
  .object({
    lineNumber: z.number().int(),
    sku: z.string(),
    quantity: z.number().int(),
    unitPriceAmount: MinorUnits,
    currency: z.string(),
    /** Absent when the ERP's product data could not be read. */
    returnable: z.boolean().optional().describe('Whether the product may be returned; absent when unknown'),
  })
  .meta({ id: 'OverviewOrderLine' });

export const OverviewTrackingStatusSchema = z.enum([...MilestoneCodeSchema.options, 'unknown']);

export const OverviewShipmentSchema = z
  .object({
    shipmentId: z.string(),
    trackingNumber: z.string(),
    carrier: z.string(),
    warehouseId: z.string(),
    warehouseStatus: ShipmentStatusSchema,
    shippedAt: z.string(),
    deliveredAt: z.string().optional(),
    trackingStatus: OverviewTrackingStatusSchema.describe("The carrier's latest milestone; unknown when the carrier could not be read"),
    estimatedDelivery: z.string().optional(),
    lastMilestoneAt: z.string().optional(),
    lastMilestoneLocation: z.string().optional(),
  })
  .meta({ id: 'OverviewShipment', description: 'A parcel of the order, with its latest carrier milestone' });

export const OverviewMilestoneSchema = z
  .object({
    trackingNumber: z.string(),
    code: MilestoneCodeSchema,
    carrierCode: z.string(),
    description: z.string(),
    location: z.string().optional(),
    occurredAt: z.string(),
  })
  .meta({ id: 'OverviewMilestone', description: 'One carrier scan; the list is flat, oldest first per parcel' });

export const OverviewStockLevelSchema = z
  .object({
    sku: z.string(),
    warehouseId: z.string(),
    onHand: z.number().int(),
    reserved: z.number().int(),
    available: z.number().int(),
  })
  .meta({ id: 'OverviewStockLevel' });

export const OverviewStockSummarySchema = z
  .object({
    status: z.enum(['available', 'unavailable', 'unknown']).describe('Whether one warehouse holds every line of the order (a replacement is possible)'),
    warehouseId: z.string().optional(),
  })
  .meta({ id: 'OverviewStockSummary' });

export const OverviewPaymentSchema = z
  .object({
    paymentId: z.string(),
    status: PaymentStatusSchema,
    method: z.string().optional(),
    currency: z.string(),
    amount: MinorUnits,
    capturedAmount: MinorUnits,
    refundedAmount: MinorUnits.describe('Refunded so far, pending refunds included (minor units)'),
    refundableAmount: MinorUnits,
    settlementStatus: z.enum(['pending', 'settled']),
    settledAt: z.string().optional(),
  })
  .meta({ id: 'OverviewPayment' });

export const ReturnEligibilityReasonSchema = z.enum(['eligible', 'order-cancelled', 'outside-refund-window', 'no-returnable-items']);

export const OverviewReturnEligibilitySchema = z
  .object({
    eligible: z.boolean(),
    reason: ReturnEligibilityReasonSchema,
    refundWindowDays: z.number().int(),
    refundWindowEndsAt: z.string(),
    /** False when the ERP's product data could not be read: eligibility then rests on window and status only. */
    returnableSkusKnown: z.boolean(),
    returnableSkus: z.array(z.string()),
    nonReturnableSkus: z.array(z.string()),
  })
  .meta({ id: 'OverviewReturnEligibility', description: "Whether the order can still be returned or refunded under the retailer's policy" });

export const OrderOverviewSchema = z
  .object({
    orderNumber: z.string(),
    /** False when any part below is missing; `missing` says which and why. */
    complete: z.boolean(),
    generatedAt: z.string(),
    missing: z.array(OverviewMissingPartSchema),
    order: OverviewOrderSchema.optional(),
    lines: z.array(OverviewOrderLineSchema),
    shipments: z.array(OverviewShipmentSchema),
    milestones: z.array(OverviewMilestoneSchema),
    stock: z.array(OverviewStockLevelSchema),
    stockSummary: OverviewStockSummarySchema,
    payment: OverviewPaymentSchema.optional(),
    returnEligibility: OverviewReturnEligibilitySchema.optional(),
  })
  .meta({ id: 'OrderOverview', description: 'Order, shipments and milestones, stock, payment and return eligibility in one answer; complete is false when a system could not be read in time' });

export type OrderOverview = z.infer<typeof OrderOverviewSchema>;
export type OverviewMissingPart = z.infer<typeof OverviewMissingPartSchema>;
export type OverviewFailureType = z.infer<typeof OverviewFailureTypeSchema>;
export type OverviewSystem = z.infer<typeof OverviewSystemSchema>;
export type OverviewShipment = z.infer<typeof OverviewShipmentSchema>;
export type OverviewMilestone = z.infer<typeof OverviewMilestoneSchema>;
export type OverviewStockSummary = z.infer<typeof OverviewStockSummarySchema>;
export type OverviewReturnEligibility = z.infer<typeof OverviewReturnEligibilitySchema>;
