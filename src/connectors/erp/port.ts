import type { ErpCapability } from '../../config';
import type { BusinessDate, CreditMemo, DraftCreditMemoRequest } from '../../domain/credit-memo';
import type { ReserveStockRequest, Reservation, StockAvailability } from '../../domain/inventory';
import type { LedgerEntry } from '../../domain/ledger';
import type { ChangedOrdersQuery, Order, OrderPage, ReplacementOrder, ReplacementOrderRequest } from '../../domain/order';
import type { ProductPrice } from '../../domain/product';
import type { ReturnAuthorization, ReturnAuthorizationRequest } from '../../domain/return-authorization';

/** The ERP as the orchestrator sees it, in retail terms; cloud and legacy adapters implement parts of it. */
export interface ErpConnector {
  getOrder(orderNumber: string): Promise<Order>;
  /** One page of orders changed since a time; pass nextCursor back for the next page. */
  listChangedOrders(query: ChangedOrdersQuery): Promise<OrderPage>;
  getAvailability(skus: string[], warehouseId?: string): Promise<StockAvailability[]>;
  reserveStock(request: ReserveStockRequest, idempotencyKey: string): Promise<Reservation>;
  releaseReservation(reservationId: string, idempotencyKey: string): Promise<Reservation>;
  /** The reserved stock shipped: on-hand and reserved both go down (idempotent; a released reservation is refused). */
  consumeReservation(reservationId: string, idempotencyKey: string): Promise<Reservation>;
  createReplacementOrder(request: ReplacementOrderRequest, idempotencyKey: string): Promise<ReplacementOrder>;
  cancelReplacementOrder(replacementOrderId: string, idempotencyKey: string): Promise<ReplacementOrder>;
  createReturnAuthorization(request: ReturnAuthorizationRequest, idempotencyKey: string): Promise<ReturnAuthorization>;
  cancelReturnAuthorization(returnAuthorizationId: string, idempotencyKey: string): Promise<ReturnAuthorization>;
  draftCreditMemo(request: DraftCreditMemoRequest, idempotencyKey: string): Promise<CreditMemo>;
  postCreditMemo(creditMemoId: string, idempotencyKey: string): Promise<CreditMemo>;
  voidCreditMemo(creditMemoId: string, idempotencyKey: string): Promise<CreditMemo>;
  getCreditMemo(creditMemoId: string): Promise<CreditMemo>;
  /** Every credit memo of a business date (all pages). */
  listCreditMemos(businessDate: BusinessDate): Promise<CreditMemo[]>;
  /** Every credit memo of a business date in every ERP, whatever the routing (reconciliation); absent on a single adapter. */
  listCreditMemosAllErps?(businessDate: BusinessDate): Promise<CreditMemo[]>;
  getPrices(skus: string[]): Promise<ProductPrice[]>;
  /** Every general ledger line of a business date (all pages). */
  listLedgerEntries(businessDate: BusinessDate): Promise<LedgerEntry[]>;
  /** Releases the breaker timers; call once when the worker stops. */
  shutdown(): void;
}

/** The finance subset, all the legacy ERP still holds. */
export type ErpFinancePort = Pick<ErpConnector, 'draftCreditMemo' | 'postCreditMemo' | 'voidCreditMemo' | 'getCreditMemo' | 'listCreditMemos' | 'listLedgerEntries' | 'shutdown'>;

/** Which capability each operation belongs to, for routing by config.erp.routing. */
export const capabilityOf = {
  getOrder: 'orders',
  listChangedOrders: 'orders',
  getAvailability: 'inventory',
  reserveStock: 'reservations',
  releaseReservation: 'reservations',
  consumeReservation: 'reservations',
  createReplacementOrder: 'replacementOrders',
  cancelReplacementOrder: 'replacementOrders',
  createReturnAuthorization: 'returnAuthorizations',
  cancelReturnAuthorization: 'returnAuthorizations',
  draftCreditMemo: 'creditMemos',
  postCreditMemo: 'creditMemos',
  voidCreditMemo: 'creditMemos',
  getCreditMemo: 'creditMemos',
  listCreditMemos: 'creditMemos',
  listCreditMemosAllErps: 'creditMemos',
  getPrices: 'pricing',
  listLedgerEntries: 'ledger',
} as const satisfies Record<Exclude<keyof ErpConnector, 'shutdown'>, ErpCapability>;

/** Capabilities the legacy ERP can serve. */
export const legacyCapabilities: readonly ErpCapability[] = ['creditMemos', 'ledger'];
