import type { SalesforceActivities } from '../../activities/salesforce';
import type { Order, OrderStatus } from '../../domain/order';
import type { EventSource, OrderEvent } from '../../domain/order-event';
import type { MilestoneCode } from '../../domain/shipment';
import { proactiveKey, type ProactiveCaseResult, type ProactiveFinding } from '../../domain/proactive-service';

/** What the Salesforce Order is upserted with (by Order_Number__c). */
export type OrderStatusUpdate = Parameters<SalesforceActivities['upsertSalesforceOrderStatus']>[0];

export type IgnoredReason = 'duplicate' | 'out-of-order' | 'other-order';

/** What the order looks like from its events, plus the bookkeeping that must survive continue-as-new. */
export interface OrderSyncState {
  orderNumber: string;
  /** +1 for every applied change: the version of what Salesforce should show. */
  version: number;
  status?: OrderStatus;
  /** The ERP's version of the order that `status` comes from (ERP events carry it as their sequence). */
  erpVersion?: number;
  /** The ERP was read once for the order's current state (a baseline against late, stale events). */
  erpChecked: boolean;
  customerId?: string;
  placedAt?: string;
  /** The latest delivery promised to the customer (from the ERP's events). */
  promisedDeliveryBy?: string;
  shipment: {
    shipmentId?: string;
    releaseId?: string;
    releaseStatus?: string;
    trackingNumber?: string;
    carrier?: string;
    milestone?: MilestoneCode;
    milestoneAt?: string;
    location?: string;
    /** The carrier's latest delivery estimate. */
    estimatedDelivery?: string;
  };
  payment?: { paymentId?: string; status: string; amount?: number; currency?: string; at: string };
  /** The newest event applied per source, the yardstick for out-of-order ones. */
  lastApplied: Partial<Record<EventSource, { sequence?: number; occurredAt: string }>>;
  /** Recent "source:eventId"s, oldest first, bounded. */
  recentEventIds: string[];
  events: { received: number; applied: number; duplicates: number; outOfOrder: number };
  /** The latest ignored events and why (at most 20). */
  ignored: { eventId: string; source: EventSource; reason: IgnoredReason }[];
  lastEventAt?: string;
  /** A change applied that Salesforce has not been sent yet. */
  pendingChange: boolean;
  salesforce: {
    writes: number;
    written?: OrderStatusUpdate & { version: number; at: string };
    lastError?: { errorType?: string; message: string; at: string };
  };
  /** Runs continued-as-new so far. */
  continuedAsNew: number;
  /** Carrier exceptions and late deliveries: found, not yet in Salesforce (pending), and where each went (opened). */
  proactive: {
    pending: ProactiveFinding[];
    /** Keys of every finding taken (bounded): the same exception seen again raises nothing. */
    raised: string[];
    opened: (ProactiveCaseResult & { key: string; at: string })[];
    lastError?: { key: string; errorType?: string; message: string; at: string };
  };
}

const RAISED_MEMORY = 50;
const emptyProactive = (): OrderSyncState['proactive'] => ({ pending: [], raised: [], opened: [] });

export function emptyState(orderNumber: string): OrderSyncState {
  return {
    orderNumber,
    version: 0,
    erpChecked: false,
    shipment: {},
    lastApplied: {},
    recentEventIds: [],
    events: { received: 0, applied: 0, duplicates: 0, outOfOrder: 0 },
    ignored: [],
    pendingChange: false,
    salesforce: { writes: 0 },
    continuedAsNew: 0,
    proactive: emptyProactive(),
  };
}

const completeStatuses: readonly OrderStatus[] = ['delivered', 'cancelled'];

/**
 * Folds an order's events into its state: drops duplicates (by source and event id, a bounded
 * memory) and events older than the newest applied from the same source (by sequence when the
 * source numbers its events, else by occurredAt), applies the rest.
 */
export class OrderFold {
  readonly state: OrderSyncState;
  private readonly seen: Set<string>;

  constructor(
    orderNumber: string,
    carried: OrderSyncState | undefined,
    private readonly dedupMemory: number,
  ) {
    // A run carried from before proactive service has no proactive part yet.
    this.state = carried ? { ...carried, proactive: (carried.proactive as OrderSyncState['proactive'] | undefined) ?? emptyProactive() } : emptyState(orderNumber);
    this.seen = new Set(this.state.recentEventIds);
  }

  /** Delivered or cancelled (in the ERP), or the parcel reached the customer. */
  get complete(): boolean {
    const s = this.state;
    return (s.status !== undefined && completeStatuses.includes(s.status)) || s.shipment.milestone === 'delivered';
  }

  receive(event: OrderEvent): void {
    const s = this.state;
    s.events.received += 1;
    const key = `${event.source}:${event.eventId}`;
    if (event.orderNumber !== s.orderNumber) return this.ignore(event, 'other-order');
    if (this.seen.has(key)) {
      s.events.duplicates += 1;
      return this.ignore(event, 'duplicate');
    }
    this.remember(key);
    if (this.isStale(event)) {
      s.events.outOfOrder += 1;
      return this.ignore(event, 'out-of-order');
    }
    s.lastApplied[event.source] = { sequence: event.sequence, occurredAt: event.occurredAt };
    s.lastEventAt = event.occurredAt;
    s.events.applied += 1;
    if (this.apply(event)) this.changed();
    if (this.findProactive(event)) s.pendingChange = true;
  }

  /** The findings to raise now, remembered as raised so the same one is never raised twice. */
  takeProactive(): ProactiveFinding[] {
    const p = this.state.proactive;
    // The ERP's baseline may have arrived since: the customer and status as known now.
    const taken = p.pending.splice(0).map((f) => dropUndefined({ ...f, customerId: f.customerId ?? this.state.customerId, orderStatus: f.orderStatus ?? this.state.status }));
    p.raised.push(...taken.map((f) => f.key));
    if (p.raised.length > RAISED_MEMORY) p.raised.splice(0, p.raised.length - RAISED_MEMORY);
    return taken;
  }

  /** Milliseconds until the promised delivery passes, while the parcel is not delivered and its lateness not yet raised. */
  lateIn(now: number): number | undefined {
    const s = this.state;
    const promise = s.promisedDeliveryBy;
    if (!promise || this.complete || s.status === 'cancelled') return undefined;
    const key = proactiveKey('late-delivery', s.orderNumber, promise);
    if (s.proactive.raised.includes(key) || s.proactive.pending.some((f) => f.key === key)) return undefined;
    return Math.max(Date.parse(promise) - now, 0);
  }

  /** The promise passed without a delivery: a late-delivery finding, as if the carrier had said so. */
  promisePassed(at: string): void {
    const s = this.state;
    if (!s.promisedDeliveryBy) return;
    const { trackingNumber, carrier, milestone, location, estimatedDelivery } = s.shipment;
    const key = proactiveKey('late-delivery', s.orderNumber, s.promisedDeliveryBy);
    s.proactive.pending.push(dropUndefined({ key, kind: 'late-delivery' as const, orderNumber: s.orderNumber, customerId: s.customerId, orderStatus: s.status, trackingNumber, carrier, milestone, location, seenAt: at, promisedDeliveryBy: s.promisedDeliveryBy, estimatedDelivery }));
    s.pendingChange = true;
  }

  recordProactive(key: string, result: ProactiveCaseResult, at: string): void {
    const opened = this.state.proactive.opened;
    opened.push({ key, ...result, at });
    if (opened.length > 20) opened.splice(0, opened.length - 20);
  }

  /**
   * A carrier exception on the parcel (one finding per parcel), or a delivery later than the promise
   * (delivered after it, or the carrier's estimate beyond it; one per promise). True when one is new.
   */
  private findProactive(event: OrderEvent): boolean {
    const s = this.state;
    if (s.status === 'cancelled') return false;
    const { trackingNumber, carrier, milestone, milestoneAt, location, estimatedDelivery } = s.shipment;
    const base = dropUndefined({ orderNumber: s.orderNumber, customerId: s.customerId, orderStatus: s.status, trackingNumber, carrier, milestone, location, seenAt: event.occurredAt, promisedDeliveryBy: s.promisedDeliveryBy, estimatedDelivery });
    const found: ProactiveFinding[] = [];
    if (milestone === 'exception') found.push({ ...base, kind: 'carrier-exception', key: proactiveKey('carrier-exception', s.orderNumber, trackingNumber ?? s.shipment.shipmentId ?? 'parcel') });
    const promise = s.promisedDeliveryBy;
    if (promise) {
      const deliveredAt = milestone === 'delivered' ? milestoneAt : undefined;
      const late = deliveredAt ? Date.parse(deliveredAt) > Date.parse(promise) : !!estimatedDelivery && Date.parse(estimatedDelivery) > Date.parse(promise);
      if (late) found.push(dropUndefined({ ...base, kind: 'late-delivery' as const, key: proactiveKey('late-delivery', s.orderNumber, promise), deliveredAt }));
    }
    const p = s.proactive;
    const fresh = found.filter((f) => !p.raised.includes(f.key) && !p.pending.some((q) => q.key === f.key));
    p.pending.push(...fresh);
    return fresh.length > 0;
  }

  /** The ERP's own view of the order, read once: it wins over what events said unless they are newer. */
  applyErpOrder(order: Pick<Order, 'status' | 'version' | 'customerId' | 'placedAt' | 'trackingNumber' | 'carrier' | 'shipmentId'>): void {
    const s = this.state;
    s.erpChecked = true;
    s.customerId ??= order.customerId;
    s.placedAt ??= order.placedAt;
    let changed = false;
    if (s.erpVersion === undefined || order.version > s.erpVersion) {
      changed = s.status !== order.status;
      s.status = order.status;
      s.erpVersion = order.version;
    }
    if (!s.shipment.trackingNumber && order.trackingNumber) {
      Object.assign(s.shipment, { trackingNumber: order.trackingNumber, carrier: order.carrier ?? s.shipment.carrier, shipmentId: order.shipmentId ?? s.shipment.shipmentId });
      changed = true;
    }
    if (changed) s.version += 1;
  }

  /** What Salesforce should show now (undefined while the status is unknown). */
  projection(): OrderStatusUpdate | undefined {
    const s = this.state;
    if (!s.status) return undefined;
    return dropUndefined({
      orderNumber: s.orderNumber,
      status: s.status,
      shipmentStatus: s.shipment.milestone,
      trackingNumber: s.shipment.trackingNumber,
      carrier: s.shipment.carrier,
      customerId: s.customerId,
      placedAt: s.placedAt,
    });
  }

  /** True when Salesforce already shows the projection. */
  upToDate(update: OrderStatusUpdate): boolean {
    const w = this.state.salesforce.written;
    return !!w && w.status === update.status && w.shipmentStatus === update.shipmentStatus && w.trackingNumber === update.trackingNumber && w.carrier === update.carrier;
  }

  private isStale(event: OrderEvent): boolean {
    const last = this.state.lastApplied[event.source];
    if (!last) return event.source === 'erp' && event.sequence !== undefined && this.state.erpVersion !== undefined && event.sequence <= this.state.erpVersion;
    if (event.sequence !== undefined && last.sequence !== undefined) return event.sequence <= last.sequence;
    return Date.parse(event.occurredAt) < Date.parse(last.occurredAt);
  }

  /** Applies one fresh event; true when it changed what the order looks like. */
  private apply(event: OrderEvent): boolean {
    const s = this.state;
    const before = JSON.stringify([s.status, s.shipment, s.payment]);
    if (event.promisedDeliveryBy) s.promisedDeliveryBy = event.promisedDeliveryBy;
    if (event.status) {
      if (event.source === 'erp' && event.sequence !== undefined && s.erpVersion !== undefined && event.sequence <= s.erpVersion) return false;
      s.status = event.status;
      if (event.source === 'erp' && event.sequence !== undefined) s.erpVersion = event.sequence;
    }
    const shipment = event.shipment;
    if (shipment) {
      const ids = { shipmentId: shipment.shipmentId, releaseId: shipment.releaseId, trackingNumber: shipment.trackingNumber, carrier: shipment.carrier };
      Object.assign(s.shipment, dropUndefined(ids));
      // Across sources the latest moment wins: a warehouse scan does not undo the carrier's newer milestone.
      const newer = !s.shipment.milestoneAt || Date.parse(event.occurredAt) >= Date.parse(s.shipment.milestoneAt);
      if (newer && (shipment.milestone || shipment.releaseStatus)) {
        if (shipment.milestone) s.shipment.milestone = shipment.milestone;
        if (shipment.releaseStatus) s.shipment.releaseStatus = shipment.releaseStatus;
        if (shipment.location) s.shipment.location = shipment.location;
        s.shipment.milestoneAt = event.occurredAt;
      }
      if (shipment.estimatedDelivery && newer) s.shipment.estimatedDelivery = shipment.estimatedDelivery;
    }
    if (event.payment) s.payment = { ...event.payment, at: event.occurredAt };
    return JSON.stringify([s.status, s.shipment, s.payment]) !== before;
  }

  private changed(): void {
    this.state.version += 1;
    this.state.pendingChange = true;
  }

  private remember(key: string): void {
    const ids = this.state.recentEventIds;
    ids.push(key);
    this.seen.add(key);
    while (ids.length > this.dedupMemory) this.seen.delete(ids.shift()!);
  }

  private ignore(event: OrderEvent, reason: IgnoredReason): void {
    const ignored = this.state.ignored;
    ignored.push({ eventId: event.eventId, source: event.source, reason });
    if (ignored.length > 20) ignored.splice(0, ignored.length - 20);
  }
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
