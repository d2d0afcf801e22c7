import { randomUUID } from 'node:crypto';
import type { ZodType } from 'zod';
import type { BreakerOptions } from '../shared/breaker';
import { parseResponse } from '../shared/classify';
import { HttpSystem } from '../shared/http';
import { NonRetryableDownstreamError } from '../../domain/errors';
import { toDecimal } from '../../domain/money';
import { parseCreditMemoId, type BusinessDate, type CreditMemo, type DraftCreditMemoRequest } from '../../domain/credit-memo';
import type { LedgerEntry } from '../../domain/ledger';
import type { ErpFinancePort } from './port';
import { CursorTrail } from '../shared/paging';
import {
  buildEnvelope,
  classifyLegacyError,
  CreditMemoListResponse,
  CreditMemoResponse,
  LedgerListResponse,
  parseXml,
  readFault,
  toCreditMemo,
  toLedgerEntry,
  toLegacyDate,
} from './legacy-xml';

export interface LegacyErpOptions {
  baseUrl: string;
  user: string;
  password: string;
  timeoutMs: number;
  breaker?: BreakerOptions;
  /** Page size for the "all pages" list calls (the legacy system allows up to 200). */
  pageSize?: number;
}

type Payload = Record<string, string | number | undefined>;

/**
 * The legacy finance ERP: XML envelopes POSTed to service endpoints with HTTP Basic auth. The
 * idempotency key becomes the envelope's RequestId, which the legacy system replays on.
 */
export class LegacyErpAdapter implements ErpFinancePort {
  readonly http: HttpSystem;
  private readonly pageSize: number;

  constructor(private readonly options: LegacyErpOptions) {
    this.pageSize = Math.min(options.pageSize ?? 100, 200);
    this.http = new HttpSystem({
      system: 'erp-legacy',
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      headers: { accept: 'text/xml', authorization: `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}` },
      breaker: options.breaker,
      readErrorBody: readFault,
    });
  }

  async draftCreditMemo(request: DraftCreditMemoRequest, idempotencyKey: string): Promise<CreditMemo> {
    const payload = {
      CUST_NO: request.customerId,
      ORD_REF: request.orderNumber,
      AMT: toDecimal(request.amount),
      CURR: request.amount.currency,
      RSN: request.reason,
      EXT_REF: request.reference,
      BUS_DATE: request.businessDate ? toLegacyDate(request.businessDate) : undefined,
    };
    return this.memoCall('draftCreditMemo', 'CreateCreditMemo', payload, idempotencyKey);
  }

  async postCreditMemo(creditMemoId: string, idempotencyKey: string) {
    return this.memoCall('postCreditMemo', 'PostCreditMemo', { CM_NO: this.memoNumber('postCreditMemo', creditMemoId) }, idempotencyKey);
  }

  async voidCreditMemo(creditMemoId: string, idempotencyKey: string) {
    return this.memoCall('voidCreditMemo', 'VoidCreditMemo', { CM_NO: this.memoNumber('voidCreditMemo', creditMemoId) }, idempotencyKey);
  }

  async getCreditMemo(creditMemoId: string) {
    return this.memoCall('getCreditMemo', 'GetCreditMemo', { CM_NO: this.memoNumber('getCreditMemo', creditMemoId) });
  }

  async listCreditMemos(businessDate: BusinessDate): Promise<CreditMemo[]> {
    const memos: CreditMemo[] = [];
    const trail = new CursorTrail('erp-legacy', 'listCreditMemos');
    let token: string | undefined;
    do {
      const page = await this.call('listCreditMemos', 'CreditMemoService', 'ListCreditMemos', { BUS_DATE: toLegacyDate(businessDate), PAGE_SIZE: this.pageSize, PageToken: token }, CreditMemoListResponse);
      const list = page.Response.Body.CreditMemoList;
      memos.push(...(list === '' ? [] : (list.CreditMemo ?? [])).map(toCreditMemo));
      token = page.Response.Body.NextPageToken ? trail.follow(page.Response.Body.NextPageToken) : undefined;
    } while (token);
    return memos;
  }

  async listLedgerEntries(businessDate: BusinessDate): Promise<LedgerEntry[]> {
    const entries: LedgerEntry[] = [];
    const trail = new CursorTrail('erp-legacy', 'listLedgerEntries');
    let token: string | undefined;
    do {
      const page = await this.call('listLedgerEntries', 'LedgerService', 'ListLedgerEntries', { BUS_DATE: toLegacyDate(businessDate), PAGE_SIZE: this.pageSize, PageToken: token }, LedgerListResponse);
      const list = page.Response.Body.LedgerEntryList;
      entries.push(...(list === '' ? [] : (list.LedgerEntry ?? [])).map(toLedgerEntry));
      token = page.Response.Body.NextPageToken ? trail.follow(page.Response.Body.NextPageToken) : undefined;
    } while (token);
    return entries;
  }

  shutdown(): void {
    this.http.shutdown();
  }

  private async memoCall(operation: string, xmlOperation: string, payload: Payload, idempotencyKey?: string): Promise<CreditMemo> {
    const res = await this.call(operation, 'CreditMemoService', xmlOperation, payload, CreditMemoResponse, idempotencyKey);
    return toCreditMemo(res.Response.Body.CreditMemo[0]);
  }

  /** One envelope through the breaker; reads get a fresh RequestId, writes carry the idempotency key. */
  private async call<T>(operation: string, service: string, xmlOperation: string, payload: Payload, schema: ZodType<T>, idempotencyKey?: string): Promise<T> {
    const body = buildEnvelope(idempotencyKey ?? `read-${randomUUID()}`, this.options.user, xmlOperation, payload);
    const text = await this.http.breaker.fire(operation, async () => {
      try {
        const res = await this.http.client.request<string>({ method: 'POST', url: `/legacy/finance/${service}`, data: body, headers: { 'content-type': 'text/xml; charset=utf-8' }, responseType: 'text' });
        return res.data;
      } catch (err) {
        throw classifyLegacyError(operation, err);
      }
    });
    return parseResponse('erp-legacy', operation, schema, parseXml(text));
  }

  private memoNumber(operation: string, creditMemoId: string): string {
    const parsed = parseCreditMemoId(creditMemoId);
    if (parsed?.system === 'legacy') return parsed.number;
    throw new NonRetryableDownstreamError('ValidationError', { system: 'erp-legacy', operation, code: 'FOREIGN_CREDIT_MEMO', message: `${creditMemoId} is not a legacy ERP credit memo` });
  }
}
