import type { ErpCapability, ErpTarget } from '../../config';
import { NonRetryableDownstreamError } from '../../domain/errors';
import { parseCreditMemoId, type BusinessDate, type DraftCreditMemoRequest } from '../../domain/credit-memo';
import type { ReserveStockRequest } from '../../domain/inventory';
import type { ChangedOrdersQuery, ReplacementOrderRequest } from '../../domain/order';
import type { ReturnAuthorizationRequest } from '../../domain/return-authorization';
import { legacyCapabilities, type ErpConnector, type ErpFinancePort } from './port';

/**
 * Sends each capability to the ERP named by config.erp.routing (finance can stay on the legacy ERP
 * while the rest moved to the cloud). A memo's post/void/get goes to the ERP its id names, so
 * memos drafted before a routing change still reach the system that holds them.
 */
export class RoutedErpConnector implements ErpConnector {
  constructor(
    private readonly cloud: ErpConnector,
    private readonly legacy: ErpFinancePort,
    private readonly routing: Record<ErpCapability, ErpTarget>,
  ) {
    const unsupported = (Object.keys(routing) as ErpCapability[]).filter((c) => routing[c] === 'legacy' && !legacyCapabilities.includes(c));
    if (unsupported.length) {
      throw new NonRetryableDownstreamError('ConfigurationError', {
        system: 'erp-legacy',
        operation: 'routing',
        code: 'UNSUPPORTED_CAPABILITY',
        message: `the legacy ERP cannot serve ${unsupported.join(', ')} (it holds only ${legacyCapabilities.join(', ')})`,
        details: { unsupported },
      });
    }
  }

  private finance(capability: 'creditMemos' | 'ledger'): ErpFinancePort {
    return this.routing[capability] === 'legacy' ? this.legacy : this.cloud;
  }

  private holderOf(creditMemoId: string, operation: string): ErpFinancePort {
    const parsed = parseCreditMemoId(creditMemoId);
    if (!parsed) throw new NonRetryableDownstreamError('ValidationError', { system: 'erp', operation, code: 'INVALID_CREDIT_MEMO_ID', message: `${creditMemoId} is not a credit memo id (cloud:… or legacy:…)` });
    return parsed.system === 'legacy' ? this.legacy : this.cloud;
  }

  getOrder = (orderNumber: string) => this.cloud.getOrder(orderNumber);
  listChangedOrders = (query: ChangedOrdersQuery) => this.cloud.listChangedOrders(query);
  getAvailability = (skus: string[], warehouseId?: string) => this.cloud.getAvailability(skus, warehouseId);
  reserveStock = (request: ReserveStockRequest, key: string) => this.cloud.reserveStock(request, key);
  releaseReservation = (reservationId: string, key: string) => this.cloud.releaseReservation(reservationId, key);
  consumeReservation = (reservationId: string, key: string) => this.cloud.consumeReservation(reservationId, key);
  createReplacementOrder = (request: ReplacementOrderRequest, key: string) => this.cloud.createReplacementOrder(request, key);
  cancelReplacementOrder = (id: string, key: string) => this.cloud.cancelReplacementOrder(id, key);
  createReturnAuthorization = (request: ReturnAuthorizationRequest, key: string) => this.cloud.createReturnAuthorization(request, key);
  cancelReturnAuthorization = (id: string, key: string) => this.cloud.cancelReturnAuthorization(id, key);
  getPrices = (skus: string[]) => this.cloud.getPrices(skus);

  draftCreditMemo = (request: DraftCreditMemoRequest, key: string) => this.finance('creditMemos').draftCreditMemo(request, key);
  postCreditMemo = (id: string, key: string) => this.holderOf(id, 'postCreditMemo').postCreditMemo(id, key);
  voidCreditMemo = (id: string, key: string) => this.holderOf(id, 'voidCreditMemo').voidCreditMemo(id, key);
  getCreditMemo = (id: string) => this.holderOf(id, 'getCreditMemo').getCreditMemo(id);
  listCreditMemos = (businessDate: BusinessDate) => this.finance('creditMemos').listCreditMemos(businessDate);
  listLedgerEntries = (businessDate: BusinessDate) => this.finance('ledger').listLedgerEntries(businessDate);
  // Memos drafted before a routing change stay in the ERP that drafted them: reconciliation reads both.
  listCreditMemosAllErps = async (businessDate: BusinessDate) => (await Promise.all([this.cloud.listCreditMemos(businessDate), this.legacy.listCreditMemos(businessDate)])).flat();

  shutdown(): void {
    this.cloud.shutdown();
    this.legacy.shutdown();
  }
}
