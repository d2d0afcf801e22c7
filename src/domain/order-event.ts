import { z } from 'zod';
import { OrderStatusSchema } from './order';
import { MilestoneCodeSchema } from './shipment';

/**
 * Events about an order pushed by the systems around it (ERP, warehouse, carrier, payment
 * provider), each in its own shape on the wire and mapped here to one canonical OrderEvent, which
 * is what the order's orderSync workflow folds into the order's state.
 */
export const EventSources = ['erp', 'warehouse', 'carrier', 'payments'] as const;
export const EventSourceSchema = z.enum(EventSources);
export type EventSource = z.infer<typeof EventSourceSchema>;

const OrderNumber = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^/\s]+$/, 'no "/" or spaces (it becomes the workflow id and the Salesforce external id)');
const EventId = z.string().min(1).max(128);
// Every text field has a ceiling: a signed sender's bug must not become a megabyte in a workflow's history.
const Ref = z.string().min(1).max(128);
const Place = z.string().max(200);
const Timestamp = z.iso.datetime({ offset: true });
const Sequence = z.number().int().nonnegative();

export const PaymentEventStatusSchema = z.enum(['authorized', 'captured', 'refunded', 'failed']);
export const ReleaseStatusSchema = z.enum(['picked', 'packed', 'shipped', 'delivered', 'cancelled']);

/** One change to an order, whatever system it came from. */
export const OrderEventSchema = z.object({
  /** The sender's event id; with the source it identifies the event (dedup). */
  eventId: EventId,
  source: EventSourceSchema,
  /** The sender's own event type, e.g. order.status_changed, shipment.delivered. */
  type: z.string().min(1).max(64),
  orderNumber: OrderNumber,
  /** Increases with every event of this source for this order, when the source numbers them (stale ones are dropped). */
  sequence: Sequence.optional(),
  occurredAt: Timestamp,
  /** The order's status as the ERP (the system of record) now reports it. */
  status: OrderStatusSchema.optional(),
  /** The latest moment delivery was promised to the customer (the ERP's order promise). */
  promisedDeliveryBy: Timestamp.optional(),
  shipment: z
    .object({
      shipmentId: Ref.optional(),
      releaseId: Ref.optional(),
      /** The reference our process gave the warehouse release (a workflow id), when it gave one. */
      clientReference: z.string().max(255).optional(),
      releaseStatus: ReleaseStatusSchema.optional(),
      trackingNumber: Ref.optional(),
      carrier: Ref.optional(),
      milestone: MilestoneCodeSchema.optional(),
      location: Place.optional(),
      /** The carrier's current delivery estimate. */
      estimatedDelivery: Timestamp.optional(),
    })
    .optional(),
  payment: z
    .object({
      paymentId: Ref.optional(),
      status: PaymentEventStatusSchema,
      /** Minor units (cents). */
      amount: z.number().int().nonnegative().optional(),
      currency: z.string().length(3).optional(),
    })
    .optional(),
});
export type OrderEvent = z.infer<typeof OrderEventSchema>;

// ── What each source sends ─────────────────────────────────────────────────────────────────────────

/** ERP: `order.status_changed`, sequence = the order's version in the ERP. */
export const ErpOrderEventSchema = z.object({
  id: EventId,
  type: z.literal('order.status_changed'),
  orderNumber: OrderNumber,
  status: z.string().max(32).transform((s) => s.toLowerCase()).pipe(OrderStatusSchema),
  /** What the customer was promised at checkout (optional: not every channel promises a date). */
  promisedDeliveryBy: Timestamp.optional(),
  sequence: Sequence,
  occurredAt: Timestamp,
});

/** Warehouse (WMS): release.picked / release.packed / release.cancelled / shipment.shipped / shipment.delivered; sequence = the WMS event number. */
export const WarehouseEventSchema = z.object({
  id: EventId,
  type: z.enum(['release.picked', 'release.packed', 'release.cancelled', 'shipment.shipped', 'shipment.delivered']),
  orderNumber: OrderNumber,
  releaseId: Ref,
  clientReference: z.string().max(255).optional(),
  shipmentId: Ref.optional(),
  trackingNumber: Ref.optional(),
  carrier: Ref.optional(),
  location: Place.optional(),
  sequence: Sequence,
  occurredAt: Timestamp,
});

/** Carrier: `tracking.updated` with the canonical milestone reached (sequence optional: then occurredAt orders them). */
export const CarrierEventSchema = z.object({
  id: EventId,
  type: z.literal('tracking.updated'),
  orderNumber: OrderNumber,
  trackingNumber: Ref,
  carrier: Ref,
  milestone: MilestoneCodeSchema,
  location: Place.optional(),
  /** The carrier's delivery estimate as of this scan. */
  estimatedDelivery: Timestamp.optional(),
  sequence: Sequence.optional(),
  occurredAt: Timestamp,
});

/** Payment provider: payment.authorized / captured / refunded / failed for the order's payment (amount in minor units). */
export const PaymentEventSchema = z.object({
  id: EventId,
  type: z.enum(['payment.authorized', 'payment.captured', 'payment.refunded', 'payment.failed']),
  orderNumber: OrderNumber,
  paymentId: Ref,
  amount: z.number().int().nonnegative().optional(),
  currency: z.string().length(3).optional(),
  sequence: Sequence.optional(),
  occurredAt: Timestamp,
});

const warehouseRelease: Record<z.infer<typeof WarehouseEventSchema>['type'], { releaseStatus: z.infer<typeof ReleaseStatusSchema>; milestone?: z.infer<typeof MilestoneCodeSchema> }> = {
  'release.picked': { releaseStatus: 'picked' },
  // A packed parcel has its carrier label.
  'release.packed': { releaseStatus: 'packed', milestone: 'label_created' },
  'release.cancelled': { releaseStatus: 'cancelled' },
  // Leaving the warehouse is the carrier's pick-up.
  'shipment.shipped': { releaseStatus: 'shipped', milestone: 'picked_up' },
  'shipment.delivered': { releaseStatus: 'delivered', milestone: 'delivered' },
};

const withoutUndefined = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export type ParsedEvent = { ok: true; event: OrderEvent } | { ok: false; eventId?: string; orderNumber?: string; reason: string };

/** One event as the source sent it → the canonical event, or why it is refused (first field issue). */
export function toOrderEvent(source: EventSource, raw: unknown): ParsedEvent {
  const parsed = parseAs(source, raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const r = (raw ?? {}) as Record<string, unknown>;
    return {
      ok: false,
      // Echoed only when sane: an over-long field is not sent back to its sender.
      eventId: EventId.safeParse(r.id).data,
      orderNumber: OrderNumber.safeParse(r.orderNumber).data,
      reason: `invalid: ${issue.path.join('.') || 'event'}: ${issue.message}`,
    };
  }
  return { ok: true, event: OrderEventSchema.parse(parsed.data) };
}

/** The fields every source's event carries, in canonical names. */
function envelope(source: EventSource, e: { id: string; type: string; orderNumber: string; sequence?: number; occurredAt: string }) {
  return { eventId: e.id, source, type: e.type, orderNumber: e.orderNumber, sequence: e.sequence, occurredAt: e.occurredAt };
}

function parseAs(source: EventSource, raw: unknown) {
  switch (source) {
    case 'erp':
      return ErpOrderEventSchema.transform((e) => withoutUndefined({ ...envelope(source, e), status: e.status, promisedDeliveryBy: e.promisedDeliveryBy })).safeParse(raw);
    case 'warehouse':
      return WarehouseEventSchema.transform((e) => ({
        ...envelope(source, e),
        shipment: withoutUndefined({ ...warehouseRelease[e.type], releaseId: e.releaseId, clientReference: e.clientReference, shipmentId: e.shipmentId, trackingNumber: e.trackingNumber, carrier: e.carrier, location: e.location }),
      })).safeParse(raw);
    case 'carrier':
      return CarrierEventSchema.transform((e) => ({
        ...envelope(source, e),
        shipment: withoutUndefined({ trackingNumber: e.trackingNumber, carrier: e.carrier, milestone: e.milestone, location: e.location, estimatedDelivery: e.estimatedDelivery }),
      })).safeParse(raw);
    case 'payments':
      return PaymentEventSchema.transform((e) => ({
        ...envelope(source, e),
        payment: withoutUndefined({ paymentId: e.paymentId, status: PaymentEventStatusSchema.parse(e.type.slice('payment.'.length)), amount: e.amount, currency: e.currency }),
      })).safeParse(raw);
  }
}
