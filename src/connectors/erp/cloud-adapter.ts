import type { ZodType } from 'zod';
import type { BreakerOptions } from '../shared/breaker';
import { HttpSystem } from '../shared/http';
import { NonRetryableDownstreamError } from '../../domain/errors';
import { toDecimal } from '../../domain/money';
import { parseCreditMemoId, type BusinessDate, type CreditMemo, type DraftCreditMemoRequest } from '../../domain/credit-memo';
import type { ReserveStockRequest } from '../../domain/inventory';
import type { ChangedOrdersQuery, ReplacementOrderRequest } from '../../domain/order';
import type { ReturnAuthorizationRequest } from '../../domain/return-authorization';
import type { ErpConnector } from './port';
import { CursorTrail, repeatedCursorError } from '../shared/paging';
import {
  CloudAvailability,
  CloudCreditMemo,
  CloudCreditMemoPage,
  CloudLedgerPage,
  CloudOrder,
  CloudOrderPage,
  CloudPrices,
  CloudReplacementOrder,
  CloudReservation,
  CloudReturnAuthorization,
  toAvailability,
  toCreditMemo,
  toLedgerEntry,
  toOrder,
  toPrice,
  toReplacementOrder,
  toReservation,
  toReturnAuthorization,
} from './cloud-schemas';

export interface CloudErpOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  breaker?: BreakerOptions;
  /** Page size for the "all pages" list calls. */
  pageSize?: number;
}

const seg = encodeURIComponent;

/** The cloud ERP's HTTP client: API key, its error dialect ({"error":{"code","message"}}), the ERP's breaker settings. */
export function cloudErpHttp(options: Omit<CloudErpOptions, 'pageSize'>): HttpSystem {
  return new HttpSystem({
    system: 'erp',
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    headers: { 'x-api-key': options.apiKey },
    breaker: options.breaker,
    readErrorBody: (body) => {
      const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      return { code: typeof error?.code === 'string' ? error.code : undefined, message: typeof error?.message === 'string' ? error.message : undefined };
    },
  });
}

/** The cloud ERP over its JSON REST API (/api/v2, x-api-key, Idempotency-Key, cursor paging). */
export class CloudErpAdapter implements ErpConnector {
  readonly http: HttpSystem;
  private readonly pageSize: number;

  constructor(options: CloudErpOptions) {
    this.pageSize = options.pageSize ?? 100;
    this.http = cloudErpHttp(options);
  }

  async getOrder(orderNumber: string) {
    return toOrder(await this.http.request({ operation: 'getOrder', method: 'GET', url: `/api/v2/orders/${seg(orderNumber)}`, schema: CloudOrder }));
  }

  async listChangedOrders(query: ChangedOrdersQuery) {
    const page = await this.http.request({
      operation: 'listChangedOrders',
      method: 'GET',
      url: '/api/v2/orders',
      params: { changedSince: query.changedSince, pageSize: query.pageSize ?? this.pageSize, cursor: query.cursor },
      schema: CloudOrderPage,
    });
    // One page per call (the caller pages): the cursor it was asked with coming back is the loop to stop.
    if (query.cursor && page.nextCursor === query.cursor) throw repeatedCursorError('erp', 'listChangedOrders', query.cursor);
    return { orders: page.data.map(toOrder), nextCursor: page.nextCursor ?? undefined };
  }

  async getAvailability(skus: string[], warehouseId?: string) {
    const res = await this.http.request({ operation: 'getAvailability', method: 'GET', url: '/api/v2/inventory/availability', params: { skus: skus.join(','), warehouseId }, schema: CloudAvailability });
    return res.data.map(toAvailability);
  }

  async reserveStock(request: ReserveStockRequest, idempotencyKey: string) {
    const body = { warehouseId: request.warehouseId, lines: request.lines.map((l) => ({ sku: l.sku, qty: l.quantity })), orderNumber: request.orderNumber, caseNumber: request.caseNumber };
    return toReservation(await this.http.request({ operation: 'reserveStock', method: 'POST', url: '/api/v2/reservations', data: body, idempotencyKey, schema: CloudReservation }));
  }

  async consumeReservation(reservationId: string, idempotencyKey: string) {
    return toReservation(await this.http.request({ operation: 'consumeReservation', method: 'POST', url: `/api/v2/reservations/${seg(reservationId)}/consume`, data: {}, idempotencyKey, schema: CloudReservation }));
  }

  async releaseReservation(reservationId: string, idempotencyKey: string) {
    return toReservation(await this.http.request({ operation: 'releaseReservation', method: 'POST', url: `/api/v2/reservations/${seg(reservationId)}/release`, data: {}, idempotencyKey, schema: CloudReservation }));
  }

  async createReplacementOrder(request: ReplacementOrderRequest, idempotencyKey: string) {
    const body = { ...request, lines: request.lines.map((l) => ({ sku: l.sku, qty: l.quantity, ...(l.lineNumber === undefined ? {} : { lineNo: l.lineNumber }) })) };
    return toReplacementOrder(await this.http.request({ operation: 'createReplacementOrder', method: 'POST', url: '/api/v2/replacement-orders', data: body, idempotencyKey, schema: CloudReplacementOrder }));
  }

  async cancelReplacementOrder(replacementOrderId: string, idempotencyKey: string) {
    return toReplacementOrder(
      await this.http.request({ operation: 'cancelReplacementOrder', method: 'POST', url: `/api/v2/replacement-orders/${seg(replacementOrderId)}/cancel`, data: {}, idempotencyKey, schema: CloudReplacementOrder }),
    );
  }

  async createReturnAuthorization(request: ReturnAuthorizationRequest, idempotencyKey: string) {
    const body = { orderNumber: request.orderNumber, caseNumber: request.caseNumber, lines: request.lines.map((l) => ({ sku: l.sku, qty: l.quantity, reason: l.reason })) };
    return toReturnAuthorization(
      await this.http.request({ operation: 'createReturnAuthorization', method: 'POST', url: '/api/v2/return-authorizations', data: body, idempotencyKey, schema: CloudReturnAuthorization }),
    );
  }

  async cancelReturnAuthorization(returnAuthorizationId: string, idempotencyKey: string) {
    return toReturnAuthorization(
      await this.http.request({
        operation: 'cancelReturnAuthorization',
        method: 'POST',
        url: `/api/v2/return-authorizations/${seg(returnAuthorizationId)}/cancel`,
        data: {},
        idempotencyKey,
        schema: CloudReturnAuthorization,
      }),
    );
  }

  async draftCreditMemo(request: DraftCreditMemoRequest, idempotencyKey: string) {
    const body = {
      customerNumber: request.customerId,
      orderNumber: request.orderNumber,
      amount: toDecimal(request.amount),
      currency: request.amount.currency,
      reason: request.reason,
      reference: request.reference,
      businessDate: request.businessDate,
      ...(request.lines ? { lines: request.lines.map((l) => ({ lineNo: l.lineNumber, qty: l.quantity })) } : {}),
    };
    return toCreditMemo(await this.http.request({ operation: 'draftCreditMemo', method: 'POST', url: '/api/v2/credit-memos', data: body, idempotencyKey, schema: CloudCreditMemo }));
  }

  async postCreditMemo(creditMemoId: string, idempotencyKey: string) {
    const url = `/api/v2/credit-memos/${seg(this.memoNumber('postCreditMemo', creditMemoId))}/post`;
    return toCreditMemo(await this.http.request({ operation: 'postCreditMemo', method: 'POST', url, data: {}, idempotencyKey, schema: CloudCreditMemo }));
  }

  async voidCreditMemo(creditMemoId: string, idempotencyKey: string) {
    const url = `/api/v2/credit-memos/${seg(this.memoNumber('voidCreditMemo', creditMemoId))}/void`;
    return toCreditMemo(await this.http.request({ operation: 'voidCreditMemo', method: 'POST', url, data: {}, idempotencyKey, schema: CloudCreditMemo }));
  }

  async getCreditMemo(creditMemoId: string) {
    const url = `/api/v2/credit-memos/${seg(this.memoNumber('getCreditMemo', creditMemoId))}`;
    return toCreditMemo(await this.http.request({ operation: 'getCreditMemo', method: 'GET', url, schema: CloudCreditMemo }));
  }

  async listCreditMemos(businessDate: BusinessDate): Promise<CreditMemo[]> {
    const memos = await this.allPages('listCreditMemos', '/api/v2/credit-memos', businessDate, CloudCreditMemoPage);
    return memos.map(toCreditMemo);
  }

  async getPrices(skus: string[]) {
    const res = await this.http.request({ operation: 'getPrices', method: 'GET', url: '/api/v2/prices', params: { skus: skus.join(',') }, schema: CloudPrices });
    return res.data.map(toPrice);
  }

  async listLedgerEntries(businessDate: BusinessDate) {
    const entries = await this.allPages('listLedgerEntries', '/api/v2/ledger-entries', businessDate, CloudLedgerPage);
    return entries.map(toLedgerEntry);
  }

  shutdown(): void {
    this.http.shutdown();
  }

  private async allPages<T>(operation: string, url: string, businessDate: string, schema: ZodType<{ data: T[]; nextCursor: string | null }>): Promise<T[]> {
    const items: T[] = [];
    const trail = new CursorTrail('erp', operation);
    let cursor: string | undefined;
    do {
      const page = await this.http.request({ operation, method: 'GET', url, params: { businessDate, pageSize: this.pageSize, cursor }, schema });
      items.push(...page.data);
      cursor = page.nextCursor ? trail.follow(page.nextCursor) : undefined;
    } while (cursor);
    return items;
  }

  /** The cloud's own memo number from a canonical id; a legacy id here is a routing bug, not a retry. */
  private memoNumber(operation: string, creditMemoId: string): string {
    const parsed = parseCreditMemoId(creditMemoId);
    if (parsed?.system === 'cloud') return parsed.number;
    throw new NonRetryableDownstreamError('ValidationError', { system: 'erp', operation, code: 'FOREIGN_CREDIT_MEMO', message: `${creditMemoId} is not a cloud ERP credit memo` });
  }
}
