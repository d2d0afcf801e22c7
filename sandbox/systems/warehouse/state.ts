import type { World } from '../../seed/world';

/** The WMS's own vocabulary: upper-case statuses, releases and shipments keyed by its ids. */
export const RELEASE_FLOW = ['RELEASED', 'PICKED', 'PACKED', 'SHIPPED', 'DELIVERED'] as const;
export type ReleaseStatus = (typeof RELEASE_FLOW)[number] | 'CANCELLED';

export interface ReleaseLine {
  lineNumber: number;
  sku: string;
  quantity: number;
}

export interface ReleaseRecord {
  id: string;
  type: 'ORDER' | 'REPLACEMENT';
  orderNumber: string;
  warehouseId: string;
  status: ReleaseStatus;
  lines: ReleaseLine[];
  createdAt: string;
  updatedAt: string;
  shipmentId?: string;
  /** The client's own reference for the release (echoed on every event), e.g. the process that asked for it. */
  clientReference?: string;
  history: { status: ReleaseStatus; at: string }[];
}

export interface ShipmentEventRecord {
  eventId: string;
  seq: number;
  eventType: 'RELEASE_PICKED' | 'RELEASE_PACKED' | 'SHIPPED' | 'DELIVERED' | 'RELEASE_CANCELLED';
  eventTime: string;
  orderNumber: string;
  releaseId: string;
  shipmentId?: string;
  trackingNumber?: string;
  carrierCode?: string;
  location?: string;
}

export interface ShipmentRecord {
  id: string;
  releaseId: string;
  orderNumber: string;
  warehouseId: string;
  carrierCode: string;
  trackingNumber: string;
  status: 'SHIPPED' | 'DELIVERED';
  shippedAt: string;
  deliveredAt?: string;
}

export interface ReturnReceiptRecord {
  id: string;
  rmaNumber: string;
  warehouseId?: string;
  condition: 'new' | 'opened' | 'damaged' | 'defective';
  lines: { sku: string; quantity: number }[];
  receivedAt: string;
  restocked: boolean;
}

export interface StockRecord {
  onHand: number;
  allocated: number;
  /** Changes so far: the sequence of its stock events. */
  version?: number;
}

export interface WarehouseState {
  warehouses: Record<string, { name: string; city: string }>;
  skus: string[];
  /** Keyed "warehouseId:sku". */
  stock: Record<string, StockRecord>;
  releases: Record<string, ReleaseRecord>;
  shipments: Record<string, ShipmentRecord>;
  events: ShipmentEventRecord[];
  returnReceipts: Record<string, ReturnReceiptRecord>;
  counters: { release: number; shipment: number; receipt: number; event: number };
}

export const stockKey = (warehouseId: string, sku: string) => `${warehouseId}:${sku}`;

/** Orders the world already allocated or shipped have a release (and a shipment) from the start. */
export function seedWarehouse(world: World): WarehouseState {
  const state: WarehouseState = {
    warehouses: Object.fromEntries(world.warehouses.map((w) => [w.warehouseId, { name: w.name, city: w.name.replace(/ Distribution Center$/, '') }])),
    skus: world.products.map((p) => p.sku),
    stock: Object.fromEntries(world.stock.map((s) => [stockKey(s.warehouseId, s.sku), { onHand: s.onHand, allocated: s.reserved }])),
    releases: {},
    shipments: {},
    events: [],
    returnReceipts: {},
    counters: { release: 0, shipment: 0, receipt: 0, event: 0 },
  };
  const shipmentsByOrder = new Map(world.shipments.map((s) => [s.orderNumber, s]));
  const warehouseOfStore = new Map(world.stores.map((s) => [s.storeId, s.warehouseId]));
  for (const order of world.orders) {
    if (order.status === 'created' || order.status === 'cancelled') continue;
    const shipment = shipmentsByOrder.get(order.orderNumber);
    const warehouseId = shipment?.warehouseId ?? warehouseOfStore.get(order.storeId)!;
    const releaseId = `REL-${order.orderNumber}`;
    const delivered = shipment?.milestones.find((m) => m.code === 'delivered');
    const status: ReleaseStatus = !shipment ? 'RELEASED' : delivered ? 'DELIVERED' : 'SHIPPED';
    state.releases[releaseId] = {
      id: releaseId,
      type: 'ORDER',
      orderNumber: order.orderNumber,
      warehouseId,
      status,
      lines: order.lines.map((l) => ({ lineNumber: l.lineNumber, sku: l.sku, quantity: l.quantity })),
      createdAt: order.placedAt,
      updatedAt: delivered?.at ?? shipment?.shippedAt ?? order.placedAt,
      shipmentId: shipment?.shipmentId,
      history: [{ status: 'RELEASED', at: order.placedAt }, ...(shipment ? [{ status: 'SHIPPED' as const, at: shipment.shippedAt }] : []), ...(delivered ? [{ status: 'DELIVERED' as const, at: delivered.at }] : [])],
    };
    if (!shipment) {
      for (const l of order.lines) {
        const stock = state.stock[stockKey(warehouseId, l.sku)];
        if (stock) stock.allocated += Math.min(l.quantity, Math.max(0, stock.onHand - stock.allocated));
      }
      continue;
    }
    state.shipments[shipment.shipmentId] = {
      id: shipment.shipmentId,
      releaseId,
      orderNumber: order.orderNumber,
      warehouseId,
      carrierCode: shipment.carrier,
      trackingNumber: shipment.trackingNumber,
      status: delivered ? 'DELIVERED' : 'SHIPPED',
      shippedAt: shipment.shippedAt,
      deliveredAt: delivered?.at,
    };
    const base = { orderNumber: order.orderNumber, releaseId, shipmentId: shipment.shipmentId, trackingNumber: shipment.trackingNumber, carrierCode: shipment.carrier };
    state.events.push({ ...base, eventId: `WEV-${shipment.shipmentId}-SHIPPED`, seq: 0, eventType: 'SHIPPED', eventTime: shipment.shippedAt, location: state.warehouses[warehouseId]?.city });
    if (delivered) state.events.push({ ...base, eventId: `WEV-${shipment.shipmentId}-DELIVERED`, seq: 0, eventType: 'DELIVERED', eventTime: delivered.at, location: delivered.location });
  }
  // Feed order follows event time; sequence numbers are the feed's cursor.
  state.events.sort((a, b) => a.eventTime.localeCompare(b.eventTime));
  state.events.forEach((e, i) => (e.seq = i + 1));
  state.counters.event = state.events.length;
  return state;
}
