import type { World, WorldOrderStatus } from '../../seed/world';
import { seedCloudCustomers, type CloudCustomer } from './customers';

/** The cloud ERP's records, in its own JSON shape (decimal strings, upper-case statuses). */
export type CloudOrderStatus = 'CREATED' | 'ALLOCATED' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';

export interface CloudOrder {
  orderNumber: string;
  customerNumber: string;
  storeId: string;
  region: string;
  salesChannel: string;
  status: CloudOrderStatus;
  placedAt: string;
  updatedAt: string;
  version: number;
  currency: string;
  lines: { lineNo: number; sku: string; qty: number; unitPrice: string }[];
  totalAmount: string;
  paymentReference?: string;
  shipmentId?: string;
  trackingNumber?: string;
  carrier?: string;
}

export interface CloudProduct { sku: string; name: string; unitPrice: string; currency: string; returnable: boolean }
export interface CloudStock { sku: string; warehouseId: string; onHand: number; reserved: number; version?: number }
export interface CloudReservation {
  id: string;
  warehouseId: string;
  lines: { sku: string; qty: number }[];
  orderNumber?: string;
  caseNumber?: string;
  status: 'ACTIVE' | 'RELEASED' | 'CONSUMED';
  createdAt: string;
  releasedAt?: string;
  consumedAt?: string;
}
export interface CloudReplacementOrder {
  id: string;
  orderNumber: string;
  originalOrderNumber: string;
  warehouseId: string;
  /** lineNo: the original order's line shipped again (counted as replaced on it while the order is open). */
  lines: { sku: string; qty: number; lineNo?: number }[];
  reservationId?: string;
  reason?: string;
  status: 'OPEN' | 'CANCELLED';
  createdAt: string;
}
export interface CloudReturnAuthorization {
  id: string;
  orderNumber: string;
  caseNumber?: string;
  lines: { sku: string; qty: number; reason?: string }[];
  status: 'OPEN' | 'CANCELLED';
  createdAt: string;
}
export interface CloudCreditMemo {
  id: string;
  customerNumber: string;
  orderNumber: string;
  amount: string;
  currency: string;
  reason: string;
  reference?: string;
  /** The order lines credited (counted as refunded on the order until the memo is voided). */
  lines?: { lineNo: number; qty: number }[];
  status: 'DRAFT' | 'POSTED' | 'VOID';
  businessDate: string;
  createdAt: string;
  postedAt?: string;
  voidedAt?: string;
}
export interface CloudLedgerEntry {
  entryId: string;
  account: string;
  direction: 'DEBIT' | 'CREDIT';
  amount: string;
  currency: string;
  reference: string;
  businessDate: string;
  postedAt: string;
}

/** A price list: the default one is the list price of every product; others are channel or region lists. */
export interface CloudPriceList { listId: string; name: string; currency: string; isDefault: boolean; createdAt: string }
/** One SKU's price on one list, effective from/to (open-ended when effectiveTo is null); version counts its changes. */
export interface CloudListPrice { listId: string; sku: string; unitPrice: string; currency: string; effectiveFrom: string; effectiveTo: string | null; version: number; changeSeq: number; updatedAt: string }
/** A promotion: a fixed promotional price or a percentage off the default list price, live from startAt to endAt unless withdrawn. */
export interface CloudPromotion {
  promotionId: string;
  name: string;
  skus: string[];
  currency: string;
  promotionalPrice: string | null;
  percentOff: number | null;
  startAt: string;
  endAt: string;
  status: 'ACTIVE' | 'WITHDRAWN';
  version: number;
  changeSeq: number;
  updatedAt: string;
}

export interface CloudErpState {
  orders: Record<string, CloudOrder>;
  products: Record<string, CloudProduct>;
  stock: Record<string, CloudStock>;
  warehouses: string[];
  reservations: Record<string, CloudReservation>;
  replacementOrders: Record<string, CloudReplacementOrder>;
  returnAuthorizations: Record<string, CloudReturnAuthorization>;
  creditMemos: Record<string, CloudCreditMemo>;
  ledgerEntries: CloudLedgerEntry[];
  /** The customer master (customers.ts). */
  customers: Record<string, CloudCustomer>;
  counters: Record<string, number>;
  /** Absent in state files written before prices were effective-dated (pricingOf fills them in). */
  priceLists?: Record<string, CloudPriceList>;
  /** listId|sku → price */
  listPrices?: Record<string, CloudListPrice>;
  promotions?: Record<string, CloudPromotion>;
}

export const DEFAULT_PRICE_LIST = 'LIST-STD-USD';
export const listPriceKey = (listId: string, sku: string) => `${listId}|${sku}`;

/** The pricing records, seeded from the products' list prices for state files that predate them. */
export function pricingOf(state: CloudErpState): Required<Pick<CloudErpState, 'priceLists' | 'listPrices' | 'promotions'>> {
  if (!state.priceLists || !state.listPrices) seedPricing(state, new Date(Date.now() - 365 * 86_400_000).toISOString());
  state.promotions ??= {};
  return state as Required<CloudErpState>;
}

function seedPricing(state: CloudErpState, effectiveFrom: string): void {
  state.priceLists = { [DEFAULT_PRICE_LIST]: { listId: DEFAULT_PRICE_LIST, name: 'Standard USD', currency: 'USD', isDefault: true, createdAt: effectiveFrom } };
  state.listPrices = {};
  for (const p of Object.values(state.products).sort((a, b) => a.sku.localeCompare(b.sku))) {
    state.listPrices[listPriceKey(DEFAULT_PRICE_LIST, p.sku)] = { listId: DEFAULT_PRICE_LIST, sku: p.sku, unitPrice: p.unitPrice, currency: p.currency, effectiveFrom, effectiveTo: null, version: 1, changeSeq: nextNumber(state, 'pricingChange'), updatedAt: effectiveFrom };
  }
}

export const stockKey = (sku: string, warehouseId: string) => `${sku}@${warehouseId}`;

/** Minor units → the ERP's decimal string. */
export const decimal = (minor: number) => `${minor < 0 ? '-' : ''}${Math.floor(Math.abs(minor) / 100)}.${String(Math.abs(minor) % 100).padStart(2, '0')}`;

/** Decimal string → minor units (amounts are validated before they get here). */
export const minor = (text: string) => {
  const [whole, frac = ''] = text.replace('-', '').split('.');
  const value = Number(whole) * 100 + Number(frac.padEnd(2, '0').slice(0, 2));
  return text.startsWith('-') ? -value : value;
};

export const toCloudStatus = (status: WorldOrderStatus): CloudOrderStatus => status.toUpperCase() as CloudOrderStatus;

export function seedCloudErp(world: World): CloudErpState {
  const orders: Record<string, CloudOrder> = {};
  for (const o of world.orders) {
    orders[o.orderNumber] = {
      orderNumber: o.orderNumber,
      customerNumber: o.customerId,
      storeId: o.storeId,
      region: o.region,
      salesChannel: o.channel.toUpperCase().replace('-', '_'),
      status: toCloudStatus(o.status),
      placedAt: o.placedAt,
      updatedAt: o.placedAt,
      version: 1,
      currency: o.currency,
      lines: o.lines.map((l) => ({ lineNo: l.lineNumber, sku: l.sku, qty: l.quantity, unitPrice: decimal(l.unitPrice) })),
      totalAmount: decimal(o.total),
      paymentReference: o.paymentId,
      shipmentId: o.shipmentId,
      trackingNumber: o.trackingNumber,
      carrier: o.carrier,
    };
  }
  const state: CloudErpState = {
    orders,
    products: Object.fromEntries(world.products.map((p) => [p.sku, { sku: p.sku, name: p.name, unitPrice: decimal(p.unitPrice), currency: p.currency, returnable: p.returnable }])),
    stock: Object.fromEntries(world.stock.map((s) => [stockKey(s.sku, s.warehouseId), { ...s }])),
    warehouses: world.warehouses.map((w) => w.warehouseId),
    reservations: {},
    replacementOrders: {},
    returnAuthorizations: {},
    creditMemos: {},
    ledgerEntries: [],
    customers: seedCloudCustomers(world),
    counters: {},
  };
  // List prices have been in force for a year before the world's base date.
  seedPricing(state, new Date(Date.parse(world.baseDate) - 365 * 86_400_000).toISOString());
  state.promotions = {};
  return state;
}

export function nextNumber(state: CloudErpState, series: string): number {
  state.counters[series] = (state.counters[series] ?? 0) + 1;
  return state.counters[series];
}

/** What is already credited (non-void credit memos) and shipped again (open replacement orders) per line of an order. */
export function lineProgress(state: CloudErpState, orderNumber: string): Map<number, { refunded: number; replaced: number }> {
  const progress = new Map<number, { refunded: number; replaced: number }>();
  const entry = (lineNo: number) => progress.get(lineNo) ?? progress.set(lineNo, { refunded: 0, replaced: 0 }).get(lineNo)!;
  for (const memo of Object.values(state.creditMemos)) {
    if (memo.orderNumber !== orderNumber || memo.status === 'VOID') continue;
    for (const l of memo.lines ?? []) entry(l.lineNo).refunded += l.qty;
  }
  for (const replacement of Object.values(state.replacementOrders)) {
    if (replacement.originalOrderNumber !== orderNumber || replacement.status !== 'OPEN') continue;
    for (const l of replacement.lines) if (l.lineNo !== undefined) entry(l.lineNo).replaced += l.qty;
  }
  return progress;
}

/** The order as the API shows it: each line with what was refunded and replaced of it. */
export function withLineProgress(state: CloudErpState, order: CloudOrder): CloudOrder & { lines: (CloudOrder['lines'][number] & { refundedQty: number; replacedQty: number })[] } {
  const progress = lineProgress(state, order.orderNumber);
  return { ...order, lines: order.lines.map((l) => ({ ...l, refundedQty: progress.get(l.lineNo)?.refunded ?? 0, replacedQty: progress.get(l.lineNo)?.replaced ?? 0 })) };
}

/** The first line asked for beyond what is left of it (ordered − refunded − replaced), or why a line is unknown. */
export function exceedsRemaining(state: CloudErpState, order: CloudOrder, lines: { lineNo: number; qty: number }[]): { lineNo: number; message: string; remaining?: number } | undefined {
  const progress = lineProgress(state, order.orderNumber);
  const asked = new Map<number, number>();
  for (const l of lines) asked.set(l.lineNo, (asked.get(l.lineNo) ?? 0) + l.qty);
  for (const [lineNo, qty] of asked) {
    const line = order.lines.find((o) => o.lineNo === lineNo);
    if (!line) return { lineNo, message: `order ${order.orderNumber} has no line ${lineNo}` };
    const done = progress.get(lineNo);
    const remaining = line.qty - (done?.refunded ?? 0) - (done?.replaced ?? 0);
    if (qty > remaining) return { lineNo, remaining, message: `${qty} of line ${lineNo} exceeds the ${remaining} not yet refunded or replaced on ${order.orderNumber}` };
  }
  return undefined;
}
