/** A warehouse or carrier milestone of the replacement parcel, as the event ingestion forwards it. */
export interface ShipmentEvent {
  /** The source system's event id: the same event delivered twice is applied once. */
  eventId: string;
  type: 'picked' | 'packed' | 'shipped' | 'delivered' | 'exception';
  /** The warehouse release the event is about; events of other releases are ignored. */
  releaseId?: string;
  trackingNumber?: string;
  carrier?: string;
  occurredAt: string;
}

/** How far the parcel got; a milestone never goes back. */
export const SHIPMENT_PROGRESS = ['not-released', 'released', 'picked', 'packed', 'shipped', 'delivered'] as const;
export type ShipmentProgress = (typeof SHIPMENT_PROGRESS)[number];

export type IgnoredReason = 'duplicate' | 'other-release' | 'out-of-order' | 'malformed';

const rank = (progress: string) => SHIPMENT_PROGRESS.indexOf(progress as ShipmentProgress);
const EVENT_TYPES = new Set<string>(['picked', 'packed', 'shipped', 'delivered', 'exception']);
const KEEP_IGNORED = 20;

/**
 * The parcel's progress from shipment events that may arrive twice, late, out of order or for another
 * release. Events that arrive before the release exists wait until its id is known. Pure and
 * deterministic: the workflow feeds it signals (and, as a safety net, what the warehouse reports).
 */
export class ShipmentTracker {
  progress: ShipmentProgress = 'not-released';
  releaseId?: string;
  trackingNumber?: string;
  carrier?: string;
  shippedAt?: string;
  deliveredAt?: string;
  received = 0;
  /** The latest ignored events (bounded), with why. */
  readonly ignored: { eventId: string; type: string; reason: IgnoredReason }[] = [];
  ignoredCount = 0;
  readonly exceptions: ShipmentEvent[] = [];
  private readonly seen = new Set<string>();
  private pending: ShipmentEvent[] = [];

  /** A signal arrived. */
  receive(event: ShipmentEvent): void {
    this.received += 1;
    if (!event || typeof event.eventId !== 'string' || !EVENT_TYPES.has(event.type)) return this.ignore(event, 'malformed');
    if (this.seen.has(event.eventId)) return this.ignore(event, 'duplicate');
    this.seen.add(event.eventId);
    if (this.releaseId === undefined) this.pending.push(event);
    else this.apply(event);
  }

  /** The release exists: from now on its events count; earlier ones are applied now. */
  follow(releaseId: string): void {
    this.releaseId = releaseId;
    if (rank(this.progress) < rank('released')) this.progress = 'released';
    const pending = this.pending;
    this.pending = [];
    for (const event of pending) this.apply(event);
  }

  reached(milestone: ShipmentProgress): boolean {
    return rank(this.progress) >= rank(milestone);
  }

  private apply(event: ShipmentEvent): void {
    if (event.releaseId !== undefined && event.releaseId !== this.releaseId) return this.ignore(event, 'other-release');
    if (event.type === 'exception') {
      this.exceptions.push(event);
      return;
    }
    if (rank(event.type) <= rank(this.progress)) return this.ignore(event, 'out-of-order');
    this.progress = event.type;
    this.trackingNumber ??= event.trackingNumber;
    this.carrier ??= event.carrier;
    if (event.type === 'shipped' || event.type === 'delivered') this.shippedAt ??= event.occurredAt;
    if (event.type === 'delivered') this.deliveredAt = event.occurredAt;
  }

  private ignore(event: ShipmentEvent | undefined, reason: IgnoredReason): void {
    this.ignoredCount += 1;
    this.ignored.push({ eventId: String(event?.eventId), type: String(event?.type), reason });
    if (this.ignored.length > KEEP_IGNORED) this.ignored.shift();
  }
}
