import { z } from 'zod';
import type { StockAvailability } from './inventory';
import { multiplyMoney, sumMoney, type Money } from './money';
import type { Order, OrderLine } from './order';

/** Caps on what one case may name: an order never has more lines, nor a line more items. */
export const MAX_CASE_LINES = 200;
export const MAX_LINE_QUANTITY = 10_000;

const lineNumber = z.number().int().min(1).max(1_000_000);
const quantity = z.number().int().min(1).max(MAX_LINE_QUANTITY);
const noDuplicates = (lines: { lineNumber: number }[]) => new Set(lines.map((l) => l.lineNumber)).size === lines.length;

/** The lines a refund covers (of the case's order); omitted = every line, what is left of it. */
export const RefundLinesSchema = z
  .array(z.strictObject({ lineNumber, quantity }))
  .min(1)
  .max(MAX_CASE_LINES)
  .refine(noDuplicates, 'each line number at most once');
export type RefundLineRequest = z.infer<typeof RefundLinesSchema>[number];

/** The lines a replacement ships again; sku only for an allowed substitute of the ordered one. */
export const ReplacementLinesSchema = z
  .array(z.strictObject({ lineNumber, quantity, sku: z.string().min(1).max(64).optional() }))
  .min(1)
  .max(MAX_CASE_LINES)
  .refine(noDuplicates, 'each line number at most once');
export type ReplacementLineRequest = z.infer<typeof ReplacementLinesSchema>[number];

export interface CheckedLine {
  lineNumber: number;
  sku: string;
  quantity: number;
}

/** Why a selection was refused; lineNumber names the offending line when there is one. */
export interface LineRefusal {
  lineNumber?: number;
  message: string;
}

export type LineCheck<T> = { ok: true; value: T } | { ok: false; refusal: LineRefusal };

const refuse = (message: string, lineNumber?: number): { ok: false; refusal: LineRefusal } => ({ ok: false, refusal: { message, ...(lineNumber === undefined ? {} : { lineNumber }) } });

/**
 * What is left of a line to refund or replace: ordered minus what was already refunded (the larger of
 * the ERP's credited count and the payment provider's record of refunded lines: whichever system
 * saw the refund, it counts) and what the ERP shipped again.
 */
export function remainingQuantity(line: OrderLine, refundedByProvider: Record<string, number> = {}): number {
  const refunded = Math.max(line.refundedQuantity ?? 0, refundedByProvider[String(line.lineNumber)] ?? 0);
  return Math.max(0, line.quantity - refunded - (line.replacedQuantity ?? 0));
}

/**
 * The refunded lines as payment-refund metadata, so the payment provider holds a per-line record
 * of every refund (Stripe metadata: values up to 500 characters, so long selections span
 * refunded_lines, refunded_lines_2, …). Read back with refundedLinesOf.
 */
export function refundedLinesMetadata(lines: { lineNumber: number; quantity: number }[]): Record<string, string> {
  const parts = lines.map((l) => `${l.lineNumber}x${l.quantity}`);
  const chunks: string[] = [];
  for (const part of parts) {
    if (chunks.length && chunks[chunks.length - 1].length + part.length + 1 <= 500) chunks[chunks.length - 1] += `,${part}`;
    else chunks.push(part);
  }
  return Object.fromEntries(chunks.map((chunk, i) => [i === 0 ? 'refunded_lines' : `refunded_lines_${i + 1}`, chunk]));
}

/** Sums refunded quantities per line over refunds' metadata (refunds without it add nothing). */
export function refundedLinesOf(metadatas: Record<string, string>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const metadata of metadatas) {
    for (const [key, value] of Object.entries(metadata)) {
      if (!/^refunded_lines(_\d+)?$/.test(key)) continue;
      for (const part of value.split(',')) {
        const match = /^(\d+)x(\d+)$/.exec(part.trim());
        if (match) total[match[1]] = (total[match[1]] ?? 0) + Number(match[2]);
      }
    }
  }
  return total;
}

/** Lines named by number, each on the order, once, within what remains of it. */
function checkAgainstOrder(order: Order, requested: { lineNumber: number; quantity: number }[], refundedByProvider: Record<string, number> = {}): LineCheck<{ line: OrderLine; quantity: number }[]> {
  if (requested.length === 0) return refuse(`no lines named on order ${order.orderNumber}`);
  if (requested.length > MAX_CASE_LINES) return refuse(`at most ${MAX_CASE_LINES} lines`);
  const seen = new Set<number>();
  const picked: { line: OrderLine; quantity: number }[] = [];
  for (const r of requested) {
    const line = order.lines.find((l) => l.lineNumber === r?.lineNumber);
    if (!line) return refuse(`order ${order.orderNumber} has no line ${String(r?.lineNumber)}`, typeof r?.lineNumber === 'number' ? r.lineNumber : undefined);
    if (seen.has(line.lineNumber)) return refuse(`line ${line.lineNumber} is named twice`, line.lineNumber);
    seen.add(line.lineNumber);
    if (!Number.isInteger(r.quantity) || r.quantity < 1) return refuse(`line ${line.lineNumber}: quantity must be a positive integer`, line.lineNumber);
    const left = remainingQuantity(line, refundedByProvider);
    if (r.quantity > left) return refuse(`line ${line.lineNumber}: ${r.quantity} × ${line.sku} is more than the ${left} of ${line.quantity} ordered not yet refunded or replaced`, line.lineNumber);
    picked.push({ line, quantity: r.quantity });
  }
  return { ok: true, value: picked };
}

/**
 * The lines to refund and their amount (unit price × quantity). Without a selection, what remains of
 * every line; the payment provider's refundable amount, when known, bounds the total.
 */
export function checkRefundLines(order: Order, requested: RefundLineRequest[] | undefined, payment?: { refundable?: Money; refundedLines?: Record<string, number> }): LineCheck<{ lines: CheckedLine[]; amount: Money }> {
  const refundable = payment?.refundable;
  const byProvider = payment?.refundedLines ?? {};
  const selection = requested ?? order.lines.filter((l) => remainingQuantity(l, byProvider) > 0).map((l) => ({ lineNumber: l.lineNumber, quantity: remainingQuantity(l, byProvider) }));
  if (selection.length === 0) return refuse(`nothing is left to refund on order ${order.orderNumber}`);
  const checked = checkAgainstOrder(order, selection, byProvider);
  if (!checked.ok) return checked;
  const amount = sumMoney(checked.value.map((p) => multiplyMoney(p.line.unitPrice, p.quantity)), order.total.currency);
  if (refundable && refundable.currency === amount.currency && amount.amount > refundable.amount) {
    return refuse(`the payment has ${refundable.amount} ${refundable.currency} minor units left to refund, less than the ${amount.amount} asked`);
  }
  return { ok: true, value: { lines: checked.value.map((p) => ({ lineNumber: p.line.lineNumber, sku: p.line.sku, quantity: p.quantity })), amount } };
}

/** The lines to ship again: the ordered SKU, or a substitute the policy allows for it. */
export function checkReplacementLines(order: Order, requested: ReplacementLineRequest[] | undefined, substitutes: Record<string, string[]>, refundedByProvider: Record<string, number> = {}): LineCheck<CheckedLine[]> {
  const selection = requested ?? order.lines.filter((l) => remainingQuantity(l, refundedByProvider) > 0).map((l) => ({ lineNumber: l.lineNumber, quantity: remainingQuantity(l, refundedByProvider) }));
  if (selection.length === 0) return refuse(`nothing is left to replace on order ${order.orderNumber}`);
  const checked = checkAgainstOrder(order, selection, refundedByProvider);
  if (!checked.ok) return checked;
  const lines: CheckedLine[] = [];
  for (const [i, p] of checked.value.entries()) {
    const sku = (selection[i] as ReplacementLineRequest).sku ?? p.line.sku;
    if (sku !== p.line.sku && !(substitutes[p.line.sku] ?? []).includes(sku)) return refuse(`line ${p.line.lineNumber}: ${sku} is not ${p.line.sku} nor an allowed substitute for it`, p.line.lineNumber);
    lines.push({ lineNumber: p.line.lineNumber, sku, quantity: p.quantity });
  }
  return { ok: true, value: lines };
}

/** The first warehouse (preferred ones first, e.g. those that shipped the order) holding every line's quantity. */
export function warehouseHolding(lines: { sku: string; quantity: number }[], rows: StockAvailability[], preferred: string[] = []): string | undefined {
  const listed = [...new Set(rows.map((r) => r.warehouseId))];
  const candidates = [...new Set([...preferred.filter((w) => listed.includes(w)), ...listed])];
  const need = new Map<string, number>();
  for (const l of lines) need.set(l.sku, (need.get(l.sku) ?? 0) + l.quantity);
  return candidates.find((w) => [...need].every(([sku, qty]) => (rows.find((r) => r.sku === sku && r.warehouseId === w)?.available ?? 0) >= qty));
}

/** A Salesforce User Id (15 or 18 characters, key prefix 005): the agent who asked for the process. */
export const SalesforceUserIdSchema = z.string().regex(/^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/, 'a Salesforce User Id (005…, 15 or 18 characters)');
