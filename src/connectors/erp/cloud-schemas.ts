import { z } from 'zod';
import { creditMemoId, type CreditMemo } from '../../domain/credit-memo';
import type { Reservation, StockAvailability } from '../../domain/inventory';
import type { LedgerEntry } from '../../domain/ledger';
import { fromDecimal } from '../../domain/money';
import type { Order, OrderChannel, OrderStatus, ReplacementOrder } from '../../domain/order';
import type { ProductPrice } from '../../domain/product';
import type { ReturnAuthorization } from '../../domain/return-authorization';

/** The cloud ERP's wire shapes (decimal strings, upper-case enums) and their mapping to the canonical model. */
const Decimal = z.string().regex(/^-?\d+(\.\d{1,2})?$/);
const Currency = z.string().regex(/^[A-Z]{3}$/);
const Timestamp = z.string().datetime({ offset: true });
const Qty = z.number().int().positive();
const opt = <T extends z.ZodTypeAny>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

export const CloudOrder = z.object({
  orderNumber: z.string(),
  customerNumber: z.string(),
  storeId: z.string(),
  region: z.string(),
  salesChannel: z.enum(['WEB', 'STORE', 'CALL_CENTER', 'MARKETPLACE', 'REPLACEMENT']),
  status: z.enum(['CREATED', 'ALLOCATED', 'SHIPPED', 'DELIVERED', 'CANCELLED']),
  placedAt: Timestamp,
  updatedAt: Timestamp,
  version: z.number().int().nonnegative(),
  currency: Currency,
  lines: z.array(z.object({ lineNo: z.number().int().positive(), sku: z.string(), qty: Qty, unitPrice: Decimal, refundedQty: opt(z.number().int().nonnegative()), replacedQty: opt(z.number().int().nonnegative()) })),
  totalAmount: Decimal,
  paymentReference: opt(z.string()),
  shipmentId: opt(z.string()),
  trackingNumber: opt(z.string()),
  carrier: opt(z.string()),
});
export const CloudOrderPage = z.object({ data: z.array(CloudOrder), nextCursor: z.string().nullable() });

export const CloudAvailability = z.object({
  data: z.array(z.object({ sku: z.string(), warehouseId: z.string(), onHand: z.number().int(), reserved: z.number().int(), available: z.number().int() })),
});

const CloudLines = z.array(z.object({ sku: z.string(), qty: Qty }));
export const CloudReservation = z.object({
  id: z.string(),
  warehouseId: z.string(),
  lines: CloudLines,
  orderNumber: opt(z.string()),
  caseNumber: opt(z.string()),
  status: z.enum(['ACTIVE', 'RELEASED', 'CONSUMED']),
  createdAt: Timestamp,
  releasedAt: opt(Timestamp),
  consumedAt: opt(Timestamp),
});

export const CloudReplacementOrder = z.object({
  id: z.string(),
  orderNumber: z.string(),
  originalOrderNumber: z.string(),
  warehouseId: z.string(),
  lines: CloudLines,
  reservationId: opt(z.string()),
  status: z.enum(['OPEN', 'CANCELLED']),
  createdAt: Timestamp,
});

export const CloudReturnAuthorization = z.object({
  id: z.string(),
  orderNumber: z.string(),
  caseNumber: opt(z.string()),
  lines: z.array(z.object({ sku: z.string(), qty: Qty, reason: opt(z.string()) })),
  status: z.enum(['OPEN', 'CANCELLED']),
  createdAt: Timestamp,
});

export const CloudCreditMemo = z.object({
  id: z.string(),
  customerNumber: z.string(),
  orderNumber: z.string(),
  amount: Decimal,
  currency: Currency,
  reason: opt(z.string()),
  reference: opt(z.string()),
  status: z.enum(['DRAFT', 'POSTED', 'VOID']),
  businessDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});
export const CloudCreditMemoPage = z.object({ data: z.array(CloudCreditMemo), nextCursor: z.string().nullable() });

export const CloudLedgerEntry = z.object({
  entryId: z.string(),
  account: z.string(),
  direction: z.enum(['DEBIT', 'CREDIT']),
  amount: Decimal,
  currency: Currency,
  reference: z.string(),
  businessDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  postedAt: Timestamp,
});
export const CloudLedgerPage = z.object({ data: z.array(CloudLedgerEntry), nextCursor: z.string().nullable() });

export const CloudPrices = z.object({
  data: z.array(z.object({ sku: z.string(), name: opt(z.string()), unitPrice: Decimal, currency: Currency, returnable: z.boolean() })),
});

const iso = (timestamp: string) => new Date(timestamp).toISOString();

export function toOrder(o: z.infer<typeof CloudOrder>): Order {
  return {
    orderNumber: o.orderNumber,
    customerId: o.customerNumber,
    storeId: o.storeId,
    region: o.region,
    channel: o.salesChannel.toLowerCase().replace('_', '-') as OrderChannel,
    status: o.status.toLowerCase() as OrderStatus,
    placedAt: iso(o.placedAt),
    updatedAt: iso(o.updatedAt),
    version: o.version,
    lines: o.lines.map((l) => ({
      lineNumber: l.lineNo,
      sku: l.sku,
      quantity: l.qty,
      unitPrice: fromDecimal(l.unitPrice, o.currency),
      ...(l.refundedQty === undefined ? {} : { refundedQuantity: l.refundedQty }),
      ...(l.replacedQty === undefined ? {} : { replacedQuantity: l.replacedQty }),
    })),
    total: fromDecimal(o.totalAmount, o.currency),
    paymentId: o.paymentReference,
    shipmentId: o.shipmentId,
    trackingNumber: o.trackingNumber,
    carrier: o.carrier,
  };
}

export const toAvailability = (a: z.infer<typeof CloudAvailability>['data'][number]): StockAvailability => ({ ...a });

const reservationStatus = { ACTIVE: 'active', RELEASED: 'released', CONSUMED: 'consumed' } as const;

export function toReservation(r: z.infer<typeof CloudReservation>): Reservation {
  return {
    reservationId: r.id,
    warehouseId: r.warehouseId,
    lines: r.lines.map((l) => ({ sku: l.sku, quantity: l.qty })),
    orderNumber: r.orderNumber,
    caseNumber: r.caseNumber,
    status: reservationStatus[r.status],
    createdAt: iso(r.createdAt),
    releasedAt: r.releasedAt ? iso(r.releasedAt) : undefined,
    consumedAt: r.consumedAt ? iso(r.consumedAt) : undefined,
  };
}

export function toReplacementOrder(r: z.infer<typeof CloudReplacementOrder>): ReplacementOrder {
  return {
    replacementOrderId: r.id,
    orderNumber: r.orderNumber,
    originalOrderNumber: r.originalOrderNumber,
    warehouseId: r.warehouseId,
    lines: r.lines.map((l) => ({ sku: l.sku, quantity: l.qty })),
    reservationId: r.reservationId,
    status: r.status === 'OPEN' ? 'open' : 'cancelled',
    createdAt: iso(r.createdAt),
  };
}

export function toReturnAuthorization(r: z.infer<typeof CloudReturnAuthorization>): ReturnAuthorization {
  return {
    returnAuthorizationId: r.id,
    orderNumber: r.orderNumber,
    caseNumber: r.caseNumber,
    lines: r.lines.map((l) => ({ sku: l.sku, quantity: l.qty, reason: l.reason })),
    status: r.status === 'OPEN' ? 'open' : 'cancelled',
    createdAt: iso(r.createdAt),
  };
}

export function toCreditMemo(m: z.infer<typeof CloudCreditMemo>): CreditMemo {
  return {
    creditMemoId: creditMemoId('cloud', m.id),
    system: 'cloud',
    number: m.id,
    customerId: m.customerNumber,
    orderNumber: m.orderNumber,
    amount: fromDecimal(m.amount, m.currency),
    reason: m.reason,
    reference: m.reference,
    status: m.status === 'DRAFT' ? 'draft' : m.status === 'POSTED' ? 'posted' : 'void',
    businessDate: m.businessDate,
  };
}

export function toLedgerEntry(e: z.infer<typeof CloudLedgerEntry>): LedgerEntry {
  return {
    entryId: e.entryId,
    system: 'cloud',
    account: e.account,
    side: e.direction === 'DEBIT' ? 'debit' : 'credit',
    amount: fromDecimal(e.amount, e.currency),
    reference: e.reference,
    businessDate: e.businessDate,
    postedAt: iso(e.postedAt),
  };
}

export function toPrice(p: z.infer<typeof CloudPrices>['data'][number]): ProductPrice {
  return { sku: p.sku, name: p.name, unitPrice: fromDecimal(p.unitPrice, p.currency), returnable: p.returnable };
}
