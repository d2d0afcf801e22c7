import type { World, WorldMilestone } from '../../seed/world';

/** The carrier's scan codes (its own vocabulary; the connector maps them to canonical milestones). */
export const SCAN_CODES = {
  MP: 'Shipment information received',
  PU: 'Picked up',
  IT: 'In transit',
  OD: 'Out for delivery',
  DL: 'Delivered',
  EX: 'Delivery exception',
} as const;
export type ScanCode = keyof typeof SCAN_CODES;

const FROM_WORLD: Record<WorldMilestone, ScanCode> = {
  label_created: 'MP',
  picked_up: 'PU',
  in_transit: 'IT',
  out_for_delivery: 'OD',
  delivered: 'DL',
  exception: 'EX',
};

export interface ScanEvent {
  code: ScanCode;
  description: string;
  location: string | null;
  occurredAt: string;
}

export interface TrackedParcel {
  trackingNumber: string;
  carrier: string;
  estimatedDelivery: string | null;
  /** Oldest first in storage; served newest first, as tracking APIs do. */
  events: ScanEvent[];
}

export interface CarrierState {
  parcels: Record<string, TrackedParcel>;
}

const TRANSIT_DAYS = 4;

export function estimateDelivery(shippedAt: string): string {
  return new Date(Date.parse(shippedAt) + TRANSIT_DAYS * 86_400_000).toISOString().slice(0, 10);
}

export function seedCarrier(world: World): CarrierState {
  const parcels: Record<string, TrackedParcel> = {};
  for (const s of world.shipments) {
    const events = s.milestones.map((m) => ({ code: FROM_WORLD[m.code], description: SCAN_CODES[FROM_WORLD[m.code]], location: m.location, occurredAt: m.at }));
    const delivered = events.find((e) => e.code === 'DL');
    parcels[s.trackingNumber] = {
      trackingNumber: s.trackingNumber,
      carrier: s.carrier,
      estimatedDelivery: delivered ? delivered.occurredAt.slice(0, 10) : estimateDelivery(s.shippedAt),
      events,
    };
  }
  return { parcels };
}

/** The parcel's status is its latest scan's. */
export function parcelStatus(parcel: TrackedParcel): string {
  const last = parcel.events[parcel.events.length - 1]?.code;
  switch (last) {
    case undefined:
    case 'MP':
      return 'PRE_TRANSIT';
    case 'PU':
    case 'IT':
      return 'IN_TRANSIT';
    case 'OD':
      return 'OUT_FOR_DELIVERY';
    case 'DL':
      return 'DELIVERED';
    case 'EX':
      return 'EXCEPTION';
  }
}
