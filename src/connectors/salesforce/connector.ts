import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection, OAuth2, type TokenResponse } from 'jsforce';
import type { ZodType } from 'zod';
import { AdjustmentInputSchema, BusinessDateSchema, type Adjustment, type AdjustmentInput } from '../../domain/adjustment';
import { CaseUpdateSchema, type Case, type CaseCommentResult, type CaseResolution, type CaseStatus, type CaseUpdate, type EscalationTaskResult } from '../../domain/case';
import type { Customer } from '../../domain/customer';
import { SalesforceUserIdSchema, type SalesforceUser } from '../../domain/salesforce-user';
import { NonRetryableDownstreamError, RetryableDownstreamError } from '../../domain/errors';
import { SystemBreaker, type BreakerOptions } from '../shared/breaker';
import { parseResponse } from '../shared/classify';
import { classifySalesforceError, classifyRecordError } from './classify';
import { JWT_BEARER_GRANT, jwtAssertion } from './jwt';
import { fromAdjustment, fromCaseUpdate, fromOrderStatus, orderCsv, toAdjustment, toCase, toCustomer, toSalesforceUser } from './mapping';
import { MAX_ORDERS_PER_COLLECTION, OrderStatusUpdateSchema, type BulkOrderUpsertResult, type OrderStatusUpdate, type OrderUpsertOutcome, type OrderUpsertResult } from './order-status';
import { CollectionItemResultSchema, ShownAvailabilityRecordSchema, StockAvailabilityUpdateSchema, fromStockAvailability, type ShownAvailability, type StockAvailabilityResult, type StockAvailabilityUpdate } from './stock-availability';
import { availabilityKey } from '../../domain/stock-event';
import { ExistingEntryRecordSchema, ListPriceBookSchema, PriceEntryUpdateSchema, PromotionBookSchema, StandardBookRecordSchema, fromPriceEntry, fromPromotionBook, type ListPriceBook, type PriceEntryResult, type PriceEntryUpdate, type PromotionBook } from './pricebooks';
import { ProactiveFindingSchema, proactiveDescription, proactiveSubject, type ProactiveCaseResult, type ProactiveFinding } from '../../domain/proactive-service';
import { DirectTransport, callTrace } from './transport';
import { MASTER_ACCOUNT_FIELDS, MASTER_CONTACT_FIELDS, MasterAccountRecordSchema, MasterContactRecordSchema, fromAccount, fromContact, toSalesforce } from './customer-master';
import type { CustomerMasterValues } from '../../domain/customer-master';
import { CursorTrail } from '../shared/paging';
import {
  AccountRecordSchema,
  AdjustmentRecordSchema,
  BulkFailedRowSchema,
  BulkSuccessRowSchema,
  CaseRecordSchema,
  CommentRecordSchema,
  ContactRecordSchema,
  IngestJobInfoSchema,
  SaveResultSchema,
  TaskKeySchema,
  TaskOnCaseSchema,
  UpsertResultSchema,
  UserRecordSchema,
  queryResult,
} from './wire';

const SYSTEM = 'salesforce' as const;

/** The customer master as Salesforce holds it (customerId: the Account's ERP_Customer_Id__c). */
export interface SalesforceCustomerMaster {
  customerId?: string;
  accountId: string;
  contactId?: string;
  values: CustomerMasterValues;
  lastModified: string;
}

export interface SalesforceConnectorOptions {
  loginUrl: string;
  apiVersion: string;
  /** password is legacy (blocked by default in orgs created since Summer '23); jwt_bearer is the server-to-server standard. */
  grant: 'client_credentials' | 'password' | 'jwt_bearer';
  clientId: string;
  clientSecret: string;
  username?: string;
  password?: string;
  /** PEM private key whose certificate the connected app holds (jwt_bearer). */
  jwtPrivateKey?: string;
  /** The assertion's aud: the login URL unless the org wants login.salesforce.com / test.salesforce.com. */
  jwtAudience?: string;
  timeoutMs: number;
  breaker?: BreakerOptions;
}

export interface BulkOptions {
  pollIntervalMs?: number;
  timeoutMs?: number;
  /** Called after every poll (activities heartbeat here). */
  onProgress?: (job: { jobId: string; state: string; processed: number }) => void;
}

const CASE_FIELDS = 'Id, CaseNumber, Subject, Status, Reason, Origin, Order_Number__c, Store_Id__c, Region__c, Resolution__c, AccountId, ContactId, CreatedDate, Account.Customer_Id__c, Account.Segment__c';
const ADJUSTMENT_FIELDS = 'Id, Name, External_Id__c, Case__c, Order_Number__c, Amount__c, CurrencyIsoCode, Type__c, Status__c, Business_Date__c, Refund_Id__c, Credit_Memo_Id__c';

/** A SOQL string literal. */
const soqlString = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * CaseComment takes no custom fields, so it cannot carry an external id: its body ends with a
 * short marker derived from the idempotency key, and the case's comments are read before
 * inserting; a body with the marker means an earlier attempt already wrote it. (Long text areas
 * cannot be filtered in SOQL, so the match happens here, not in WHERE.)
 */
export const idempotencyMarker = (key: string): string => `[ro:${createHash('sha256').update(key).digest('hex').slice(0, 16)}]`;

/**
 * The front office, in retail terms, through jsforce: cases, customers, adjustments, order status.
 * Every call goes through the Salesforce circuit breaker and comes back validated and classified;
 * nothing here retries (Temporal does), except jsforce's one re-run after refreshing a session.
 */
export class SalesforceConnector {
  readonly breaker: SystemBreaker;
  private readonly conn: Connection;
  private readonly oauth2: OAuth2;
  /** The JWT bearer grant sends only grant_type and assertion, so it has its own client without id or secret. */
  private readonly jwtClient: OAuth2;
  private signingIn: Promise<void> | undefined;
  /** REQUEST_LIMIT_EXCEEDED answers in a row; the backoff doubles with each and resets on success. */
  private limitStreak = 0;
  /** Org and user of the current session (from the token's identity URL), for the Pub/Sub API's metadata. */
  private identity: { organizationId: string; userId: string } | undefined;

  constructor(private readonly options: SalesforceConnectorOptions) {
    const transport = new DirectTransport(options.timeoutMs);
    this.breaker = new SystemBreaker(SYSTEM, options.breaker);
    this.oauth2 = new OAuth2({ loginUrl: options.loginUrl, clientId: options.clientId, clientSecret: options.clientSecret });
    this.oauth2._transport = transport;
    this.jwtClient = new OAuth2({ loginUrl: options.loginUrl });
    this.jwtClient._transport = transport;
    this.conn = new Connection({
      oauth2: this.oauth2,
      instanceUrl: options.loginUrl,
      version: options.apiVersion,
      // Client credentials and JWT bearer give no refresh token: an expired session re-runs the grant.
      refreshFn: (conn, callback) => {
        const trace = callTrace.getStore();
        this.grant().then(
          (token) => {
            this.remember(token);
            conn.instanceUrl = token.instance_url;
            callback(null, token.access_token, token);
          },
          (err: unknown) => {
            if (trace) trace.grantError = classifySalesforceError('refreshSession', err, trace);
            callback(err as Error);
          },
        );
      },
    });
    this.conn._transport = transport;
  }

  /** The OAuth session, shared with the Pub/Sub API (gRPC metadata); renew runs the grant again. */
  async session(renew = false): Promise<{ accessToken: string; instanceUrl: string; organizationId: string; userId: string }> {
    await this.call('session', async () => {
      if (renew) {
        this.remember(await this.grant().then((token) => {
          this.conn.accessToken = token.access_token;
          this.conn.instanceUrl = token.instance_url;
          return token;
        }));
      }
    });
    if (!this.identity || !this.conn.accessToken) throw this.notFound('session', 'the token response carried no identity URL');
    return { accessToken: this.conn.accessToken, instanceUrl: this.conn.instanceUrl, ...this.identity };
  }

  /** A case by its record id (change events carry ids, not case numbers). */
  async getCase(caseId: string): Promise<Case> {
    this.assertId('getCase', caseId, '500');
    return this.call('getCase', async (conn) => {
      const result = this.parse('getCase', queryResult(CaseRecordSchema), await conn.query(`SELECT ${CASE_FIELDS} FROM Case WHERE Id = ${soqlString(caseId)} LIMIT 1`));
      const record = result.records[0];
      if (!record) throw this.notFound('getCase', `no case ${caseId}`);
      return toCase(record);
    });
  }

  /** Cases changed after `since` (ISO time), oldest first: the catch-up when change events were lost. */
  async listCasesModifiedSince(since: string): Promise<Case[]> {
    const stamp = new Date(since);
    if (Number.isNaN(stamp.getTime())) throw new NonRetryableDownstreamError('ValidationError', { system: SYSTEM, operation: 'listCasesModifiedSince', code: 'INVALID_INPUT', message: `not a time: ${since}` });
    const records = await this.queryAll('listCasesModifiedSince', CaseRecordSchema, `SELECT ${CASE_FIELDS} FROM Case WHERE LastModifiedDate > ${stamp.toISOString().replace(/\.\d{3}Z$/, 'Z')} ORDER BY LastModifiedDate`);
    return records.map(toCase);
  }

  /** The org's API usage as of the last response (Sforce-Limit-Info). */
  limitInfo(): { used: number; limit: number } | undefined {
    return this.conn.limitInfo.apiUsage;
  }

  async getCaseByNumber(caseNumber: string): Promise<Case> {
    return this.call('getCaseByNumber', async (conn) => {
      const result = this.parse('getCaseByNumber', queryResult(CaseRecordSchema), await conn.query(`SELECT ${CASE_FIELDS} FROM Case WHERE CaseNumber = ${soqlString(caseNumber)} LIMIT 1`));
      const record = result.records[0];
      if (!record) throw this.notFound('getCaseByNumber', `no case with number ${caseNumber}`);
      return toCase(record);
    });
  }

  async getCustomer(customerId: string): Promise<Customer> {
    return this.call('getCustomer', async (conn) => {
      const accounts = this.parse('getCustomer', queryResult(AccountRecordSchema), await conn.query(`SELECT Id, Name, Customer_Id__c, Segment__c, Region__c, Home_Store__c, Phone FROM Account WHERE Customer_Id__c = ${soqlString(customerId)} LIMIT 1`));
      const account = accounts.records[0];
      if (!account) throw this.notFound('getCustomer', `no customer ${customerId}`);
      const contacts = this.parse('getCustomer', queryResult(ContactRecordSchema), await conn.query(`SELECT Id, Email, Phone FROM Contact WHERE AccountId = ${soqlString(account.Id)} ORDER BY CreatedDate LIMIT 1`));
      return toCustomer(account, contacts.records[0]);
    });
  }

  /** A user who may decide on a case (approve a refund, choose a resolution): active flag and approval limit. */
  async getUser(userId: string): Promise<SalesforceUser> {
    const id = this.input('getUser', SalesforceUserIdSchema, userId);
    return this.call('getUser', async (conn) => {
      const result = this.parse('getUser', queryResult(UserRecordSchema), await conn.query(`SELECT Id, Name, Email, Username, IsActive, Refund_Approval_Limit__c, CurrencyIsoCode FROM User WHERE Id = ${soqlString(id)} LIMIT 1`));
      const record = result.records[0];
      if (!record) throw this.notFound('getUser', `no user ${id}`);
      return toSalesforceUser(record);
    });
  }

  /** Status and/or resolution: an update by id to fixed values is idempotent by itself, so a repeat is harmless. */
  async updateCase(caseId: string, update: CaseUpdate): Promise<void> {
    this.assertId('updateCase', caseId, '500');
    const fields = fromCaseUpdate(this.input('updateCase', CaseUpdateSchema, update));
    await this.call('updateCase', async (conn) => {
      await conn.sobject('Case').update({ Id: caseId, ...fields });
    });
  }

  async updateCaseStatus(caseId: string, status: CaseStatus): Promise<void> {
    return this.updateCase(caseId, { status });
  }

  async recordCaseResolution(caseId: string, resolution: CaseResolution, status?: CaseStatus): Promise<void> {
    return this.updateCase(caseId, { resolution, ...(status ? { status } : {}) });
  }

  /** A milestone note on the case, written once per idempotency key (see idempotencyMarker). */
  async addCaseComment(caseId: string, text: string, idempotencyKey: string): Promise<CaseCommentResult> {
    this.assertId('addCaseComment', caseId, '500');
    const marker = idempotencyMarker(idempotencyKey);
    const existing = await this.queryAll('findCaseComment', CommentRecordSchema, `SELECT Id, CommentBody FROM CaseComment WHERE ParentId = ${soqlString(caseId)}`);
    const earlier = existing.find((c) => c.CommentBody?.includes(marker));
    if (earlier) return { commentId: earlier.Id, created: false };
    return this.call('addCaseComment', async (conn) => {
      const saved = this.parse('addCaseComment', SaveResultSchema, await conn.sobject('CaseComment').create({ ParentId: caseId, CommentBody: `${text}\n\n${marker}`, IsPublished: false }));
      return { commentId: saved.id, created: true };
    });
  }

  /**
   * A follow-up task on the case for a human, created once per idempotency key: the key is the
   * task's external id (Retail_Key__c). An existing task is left as it is (a person may have
   * worked it); otherwise an upsert by the key creates it, so two racing attempts still make one.
   */
  async createEscalationTask(caseId: string, subject: string, idempotencyKey: string, details: { description?: string; priority?: 'High' | 'Normal' | 'Low'; dueDate?: string } = {}): Promise<EscalationTaskResult> {
    this.assertId('createEscalationTask', caseId, '500');
    const existing = await this.queryAll('findEscalationTask', TaskKeySchema, `SELECT Id FROM Task WHERE Retail_Key__c = ${soqlString(idempotencyKey)} LIMIT 1`);
    if (existing[0]) return { taskId: existing[0].Id, created: false };
    return this.call('createEscalationTask', async (conn) => {
      const task = {
        // jsforce puts the external id into the URL path unencoded.
        Retail_Key__c: encodeURIComponent(idempotencyKey),
        Subject: subject,
        WhatId: caseId,
        Status: 'Not Started',
        Priority: details.priority ?? 'High',
        ActivityDate: details.dueDate ?? new Date().toISOString().slice(0, 10),
        Description: details.description ?? subject,
      };
      const saved = this.parse('createEscalationTask', UpsertResultSchema, await conn.sobject('Task').upsert(task, 'Retail_Key__c'));
      return { taskId: saved.id, created: saved.created };
    });
  }

  /**
   * A proactive finding in front of an agent, once: the order's open Case gets a Task, else a new Case
   * is upserted; either carries the finding's key as its Retail_Key__c. A key already on a Case or a
   * Task answers that record (a retry after a lost answer, or a run replaying the finding).
   */
  async openProactiveCase(finding: ProactiveFinding): Promise<ProactiveCaseResult> {
    const input = this.input('openProactiveCase', ProactiveFindingSchema, finding);
    const key = soqlString(input.key);
    const earlierCase = await this.findCaseByKey('findProactiveCase', input.key);
    if (earlierCase) return { via: 'case', caseId: earlierCase, created: false };
    const [earlierTask] = await this.queryAll('findProactiveTask', TaskOnCaseSchema, `SELECT Id, WhatId FROM Task WHERE Retail_Key__c = ${key} LIMIT 1`);
    if (earlierTask) return { via: 'task', caseId: earlierTask.WhatId ?? '', taskId: earlierTask.Id, created: false };
    const subject = proactiveSubject(input);
    const description = proactiveDescription(input);
    // The oldest open Case of the order is the one its agent already works: the finding joins it.
    const [open] = await this.queryAll('findOpenOrderCase', TaskKeySchema, `SELECT Id FROM Case WHERE Order_Number__c = ${soqlString(input.orderNumber)} AND IsClosed = false ORDER BY CreatedDate LIMIT 1`);
    if (open) {
      const task = await this.createEscalationTask(open.Id, subject, input.key, { description, priority: 'High' });
      return { via: 'task', caseId: open.Id, taskId: task.taskId, created: task.created };
    }
    const saved = await this.upsertCaseByKey('openProactiveCase', input.key, {
      Subject: subject,
      Description: description,
      Status: 'New',
      Origin: 'Proactive',
      Reason: input.kind === 'carrier-exception' ? 'Delivery Exception' : 'Late Delivery',
      Priority: 'High',
      Order_Number__c: input.orderNumber,
      ...(input.customerId ? { Account: { Customer_Id__c: input.customerId } } : {}),
    });
    return { via: 'case', ...saved };
  }

  /** Upsert by External_Id__c = the adjustment's idempotency key, so a retry updates instead of booking twice. */
  async upsertAdjustment(adjustment: AdjustmentInput): Promise<{ recordId: string; created: boolean }> {
    const input = this.input('upsertAdjustment', AdjustmentInputSchema, adjustment);
    if (input.caseId) this.assertId('upsertAdjustment', input.caseId, '500');
    return this.call('upsertAdjustment', async (conn) => {
      // jsforce puts the external id into the URL path unencoded.
      const record = { External_Id__c: encodeURIComponent(input.externalId), ...fromAdjustment(input) };
      const result = this.parse('upsertAdjustment', UpsertResultSchema, await conn.sobject('Customer_Adjustment__c').upsert(record, 'External_Id__c'));
      return { recordId: result.id, created: result.created };
    });
  }

  /** Every adjustment booked on a business date, following query locators across pages. */
  async listAdjustments(businessDate: string): Promise<Adjustment[]> {
    const date = this.input('listAdjustments', BusinessDateSchema, businessDate);
    const records = await this.queryAll('listAdjustments', AdjustmentRecordSchema, `SELECT ${ADJUSTMENT_FIELDS} FROM Customer_Adjustment__c WHERE Business_Date__c = ${date} ORDER BY External_Id__c`);
    return records.map((r) => {
      try {
        return toAdjustment(r);
      } catch (err) {
        throw new NonRetryableDownstreamError('ValidationError', { system: SYSTEM, operation: 'listAdjustments', code: 'INVALID_RESPONSE', message: (err as Error).message });
      }
    });
  }

  async upsertOrderStatus(update: OrderStatusUpdate): Promise<OrderUpsertResult> {
    const input = this.input('upsertOrderStatus', OrderStatusUpdateSchema, update);
    return this.call('upsertOrderStatus', async (conn) => {
      const record = { Order_Number__c: encodeURIComponent(input.orderNumber), ...fromOrderStatus(input) };
      const result = this.parse('upsertOrderStatus', UpsertResultSchema, await conn.sobject('Order').upsert(record, 'Order_Number__c'));
      return { orderId: result.id, created: result.created };
    });
  }

  /**
   * Many orders' updates in one sObject Collections upsert by Order_Number__c (one API call, allOrNone
   * false): each record lands or fails on its own, and a refused record answers the error its own
   * upsertOrderStatus would have thrown. Each order at most once per call (Salesforce refuses a
   * repeated external id within one call, and the order of two updates would be lost).
   */
  async upsertOrderStatuses(updates: OrderStatusUpdate[]): Promise<OrderUpsertOutcome[]> {
    const schema = OrderStatusUpdateSchema.array().min(1).max(MAX_ORDERS_PER_COLLECTION).refine((list) => new Set(list.map((u) => u.orderNumber)).size === list.length, 'an order appears more than once');
    const input = this.input('upsertOrderStatuses', schema, updates);
    return this.call('upsertOrderStatuses', async (conn) => {
      // The key travels in the body here, not in the URL: no encoding.
      const records = input.map((u) => ({ attributes: { type: 'Order' }, Order_Number__c: u.orderNumber, ...fromOrderStatus(u) }));
      const answer = await conn.sobject('Order').upsert(records, 'Order_Number__c', { allOrNone: false });
      const items = this.parse('upsertOrderStatuses', CollectionItemResultSchema.array().length(input.length), answer);
      return items.map((item): OrderUpsertOutcome => {
        if (item.success && item.id) return { ok: true, result: { orderId: item.id, created: item.created ?? false } };
        return { ok: false, error: classifyRecordError('upsertOrderStatus', item.errors) };
      });
    });
  }

  /** What Salesforce shows of the SKUs' availability (Product_Availability__c), at one location or all. */
  async listStockAvailability(skus: string[], location?: string): Promise<ShownAvailability[]> {
    const list = skus.map(soqlString).join(', ');
    const where = `SKU__c IN (${list})${location ? ` AND Location__c = ${soqlString(location)}` : ''}`;
    const records = await this.queryAll('listStockAvailability', ShownAvailabilityRecordSchema, `SELECT SKU__c, Location__c, Available__c, Stock_Changed_At__c FROM Product_Availability__c WHERE ${where}`);
    // Salesforce writes datetimes as 2026-11-30T08:00:00.000+0000: answered in ISO 8601 UTC.
    return records.map((r) => ({ sku: r.SKU__c, location: r.Location__c, available: r.Available__c, changedAt: r.Stock_Changed_At__c ? new Date(r.Stock_Changed_At__c).toISOString() : undefined }));
  }

  /**
   * Up to 200 SKU-locations in one sObject Collections upsert (one API call): each record succeeds or
   * fails on its own (allOrNone false), so one refused record never holds back the others' stock.
   */
  async upsertStockAvailability(updates: StockAvailabilityUpdate[]): Promise<StockAvailabilityResult> {
    const input = this.input('upsertStockAvailability', StockAvailabilityUpdateSchema.array().min(1).max(200), updates);
    return this.collectionUpsert('upsertStockAvailability', 'Product_Availability__c', 'Availability_Key__c', input.map(fromStockAvailability), input.map((u) => availabilityKey(u.sku, u.location)));
  }

  /** Custom price books of ERP price lists (by ERP_Price_List_Id__c), in one collections call. */
  async upsertListPriceBooks(books: ListPriceBook[]): Promise<PriceEntryResult> {
    const input = this.input('upsertListPriceBooks', ListPriceBookSchema.array().min(1).max(200), books);
    return this.collectionUpsert('upsertListPriceBooks', 'Pricebook2', 'ERP_Price_List_Id__c', input.map((b) => ({ attributes: { type: 'Pricebook2' }, ERP_Price_List_Id__c: b.listId, Name: b.name, IsActive: b.active })), input.map((b) => b.listId));
  }

  /** A promotion's price book (by ERP_Promotion_Id__c): scheduled and inactive, live, ended or withdrawn. */
  async upsertPromotionPriceBook(book: PromotionBook): Promise<{ id: string; created: boolean }> {
    const input = this.input('upsertPromotionPriceBook', PromotionBookSchema, book);
    return this.call('upsertPromotionPriceBook', async (conn) => {
      const result = this.parse('upsertPromotionPriceBook', UpsertResultSchema, await conn.sobject('Pricebook2').upsert({ ERP_Promotion_Id__c: encodeURIComponent(input.promotionId), ...fromPromotionBook(input) }, 'ERP_Promotion_Id__c'));
      return { id: result.id, created: result.created };
    });
  }

  /**
   * Up to 200 PricebookEntry upserts by ERP_Price_Key__c in one collections call, each succeeding or
   * failing on its own. The entries that exist are read first: book and product go only to new ones.
   */
  async upsertPriceEntries(entries: PriceEntryUpdate[]): Promise<PriceEntryResult> {
    const input = this.input('upsertPriceEntries', PriceEntryUpdateSchema.array().min(1).max(200), entries);
    const keys = input.map((e) => soqlString(e.key)).join(', ');
    const existing = new Set((await this.queryAll('listPriceEntries', ExistingEntryRecordSchema, `SELECT Id, ERP_Price_Key__c FROM PricebookEntry WHERE ERP_Price_Key__c IN (${keys})`)).map((r) => r.ERP_Price_Key__c));
    const standard = input.some((e) => !existing.has(e.key) && e.book.kind === 'standard') ? await this.standardPriceBookId() : '';
    return this.collectionUpsert('upsertPriceEntries', 'PricebookEntry', 'ERP_Price_Key__c', input.map((e) => fromPriceEntry(e, existing.has(e.key), standard)), input.map((e) => e.key));
  }

  /** The org's standard price book (every org has one). */
  async standardPriceBookId(): Promise<string> {
    const books = await this.queryAll('getStandardPriceBook', StandardBookRecordSchema, 'SELECT Id FROM Pricebook2 WHERE IsStandard = true');
    if (!books[0]) throw new NonRetryableDownstreamError('BusinessRejectionError', { system: SYSTEM, operation: 'getStandardPriceBook', code: 'NO_STANDARD_PRICEBOOK', message: 'the org has no standard price book' });
    return books[0].Id;
  }

  private async collectionUpsert(operation: string, object: string, externalId: string, records: Record<string, unknown>[], keys: string[]): Promise<PriceEntryResult> {
    return this.call(operation, async (conn) => {
      const answer = await conn.sobject(object).upsert(records, externalId, { allOrNone: false });
      const items = this.parse(operation, CollectionItemResultSchema.array().length(records.length), answer);
      return {
        writtenAt: new Date().toISOString(),
        results: items.map((item, i) => ({ key: keys[i], ok: item.success, created: item.created, errorCode: item.errors[0]?.statusCode, message: item.errors[0]?.message })),
      };
    });
  }

  /**
   * Many order updates through one Bulk API 2.0 upsert job: open, upload CSV, close, poll until
   * the job completes (reporting progress), then read per-record results.
   */
  async upsertOrdersBulk(updates: OrderStatusUpdate[], options: BulkOptions = {}): Promise<BulkOrderUpsertResult> {
    const rows = updates.map((u) => this.input('upsertOrdersBulk', OrderStatusUpdateSchema, u));
    const job = this.conn.bulk2.createJob({ object: 'Order', operation: 'upsert', externalIdFieldName: 'Order_Number__c', lineEnding: 'LF' });
    await this.call('openOrderBulkJob', () => job.open());
    await this.call('uploadOrderBulkJob', () => job.uploadData(orderCsv(rows)));
    await this.call('closeOrderBulkJob', () => job.close());
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      const info = this.parse('pollOrderBulkJob', IngestJobInfoSchema, await this.call('pollOrderBulkJob', () => job.check()));
      options.onProgress?.({ jobId: info.id, state: info.state, processed: info.numberRecordsProcessed ?? 0 });
      if (info.state === 'JobComplete') break;
      if (info.state === 'Failed' || info.state === 'Aborted') {
        throw new NonRetryableDownstreamError('ValidationError', { system: SYSTEM, operation: 'upsertOrdersBulk', code: `BULK_JOB_${info.state.toUpperCase()}`, message: info.errorMessage ?? `bulk job ${info.id} ${info.state}`, details: { jobId: info.id } });
      }
      if (Date.now() > deadline) {
        throw new RetryableDownstreamError('TimeoutError', { system: SYSTEM, operation: 'upsertOrdersBulk', code: 'BULK_JOB_TIMEOUT', message: `bulk job ${info.id} still ${info.state}`, details: { jobId: info.id } });
      }
      await sleep(options.pollIntervalMs ?? 500);
    }
    const successful = this.parse('orderBulkResults', BulkSuccessRowSchema.array(), await this.call('orderBulkResults', () => job.getSuccessfulResults()));
    const failed = this.parse('orderBulkResults', BulkFailedRowSchema.array(), await this.call('orderBulkResults', () => job.getFailedResults()));
    return {
      jobId: job.id,
      created: successful.filter((r) => r.sf__Created === 'true').length,
      updated: successful.filter((r) => r.sf__Created === 'false').length,
      failed: failed.length,
      failures: failed.map((r) => {
        const [errorCode = 'UNKNOWN', ...rest] = r.sf__Error.split(':');
        return { orderNumber: r.Order_Number__c, errorCode, message: rest.join(':').replace(/:[^:]*--\s*$/, '').trim() };
      }),
    };
  }

  /** The customer master's Salesforce half by the ERP's customer number (Account.ERP_Customer_Id__c) or the Account id. */
  async getCustomerMaster(key: { customerId: string } | { accountId: string }): Promise<SalesforceCustomerMaster> {
    const where = 'customerId' in key ? `ERP_Customer_Id__c = ${soqlString(key.customerId)}` : `Id = ${soqlString(key.accountId)}`;
    if ('accountId' in key) this.assertId('getCustomerMaster', key.accountId, '001');
    const [account] = await this.queryAll('getCustomerMaster', MasterAccountRecordSchema, `SELECT ${MASTER_ACCOUNT_FIELDS} FROM Account WHERE ${where} LIMIT 1`);
    if (!account) throw this.notFound('getCustomerMaster', `no Account for ${JSON.stringify(key)}`);
    // The primary Contact: the first one created on the Account.
    const [contact] = await this.queryAll('getCustomerMaster', MasterContactRecordSchema, `SELECT ${MASTER_CONTACT_FIELDS} FROM Contact WHERE AccountId = ${soqlString(account.Id)} ORDER BY CreatedDate LIMIT 1`);
    return {
      customerId: account.ERP_Customer_Id__c ?? undefined,
      accountId: account.Id,
      contactId: contact?.Id,
      values: { ...fromAccount(account), ...(contact ? fromContact(contact) : {}) },
      lastModified: [account.LastModifiedDate, contact?.LastModifiedDate].filter((d): d is string => !!d).sort().at(-1)!,
    };
  }

  /** The Account of a Contact (Contact change events carry the Contact's id only). */
  async accountOfContact(contactId: string): Promise<string | undefined> {
    this.assertId('accountOfContact', contactId, '003');
    const [contact] = await this.queryAll('accountOfContact', MasterContactRecordSchema, `SELECT ${MASTER_CONTACT_FIELDS} FROM Contact WHERE Id = ${soqlString(contactId)} LIMIT 1`);
    if (!contact) throw this.notFound('accountOfContact', `no Contact ${contactId}`);
    return contact.AccountId ?? undefined;
  }

  /** Sets customer master fields on the Account and its Contact; setting a value twice is harmless, so a retry needs no key. */
  async updateCustomerMaster(target: { accountId: string; contactId?: string }, values: CustomerMasterValues): Promise<{ account: boolean; contact: boolean }> {
    this.assertId('updateCustomerMaster', target.accountId, '001');
    const { account, contact } = toSalesforce(values);
    if (Object.keys(contact).length && !target.contactId) throw new NonRetryableDownstreamError('ValidationError', { system: SYSTEM, operation: 'updateCustomerMaster', code: 'NO_CONTACT', message: `Account ${target.accountId} has no Contact to hold ${Object.keys(contact).join(', ')}` });
    return this.call('updateCustomerMaster', async (conn) => {
      if (Object.keys(account).length) this.parse('updateCustomerMaster', SaveResultSchema, await conn.sobject('Account').update({ Id: target.accountId, ...account }));
      if (Object.keys(contact).length) this.parse('updateCustomerMaster', SaveResultSchema, await conn.sobject('Contact').update({ Id: target.contactId!, ...contact }));
      return { account: Object.keys(account).length > 0, contact: Object.keys(contact).length > 0 };
    });
  }

  /**
   * A customer data conflict in front of the data steward, once per key: a Case on the Account,
   * upserted by Retail_Key__c; a Case already holding the key is answered as it is (it may be worked).
   */
  async openCustomerConflictCase(input: { key: string; accountId: string; subject: string; description: string }): Promise<{ caseId: string; created: boolean }> {
    this.assertId('openCustomerConflictCase', input.accountId, '001');
    const earlier = await this.findCaseByKey('findCustomerConflictCase', input.key);
    if (earlier) return { caseId: earlier, created: false };
    return this.upsertCaseByKey('openCustomerConflictCase', input.key, { Subject: input.subject.slice(0, 255), Description: input.description, AccountId: input.accountId, Status: 'New', Priority: 'High', Origin: 'Integration' });
  }

  /** The Case an earlier attempt opened under this Retail_Key__c, if any. */
  private async findCaseByKey(operation: string, key: string): Promise<string | undefined> {
    const [earlier] = await this.queryAll(operation, TaskKeySchema, `SELECT Id FROM Case WHERE Retail_Key__c = ${soqlString(key)} LIMIT 1`);
    return earlier?.Id;
  }

  /** Creates the Case under its Retail_Key__c, or updates the one a lost answer already created. */
  private upsertCaseByKey(operation: string, key: string, fields: Record<string, unknown>): Promise<{ caseId: string; created: boolean }> {
    return this.call(operation, async (conn) => {
      // jsforce puts the external id into the URL path unencoded.
      const record = { Retail_Key__c: encodeURIComponent(key), ...fields };
      const saved = this.parse(operation, UpsertResultSchema, await conn.sobject('Case').upsert(record, 'Retail_Key__c'));
      return { caseId: saved.id, created: saved.created };
    });
  }

  shutdown(): void {
    this.breaker.shutdown();
  }

  /** One downstream call: breaker, session, and every failure classified. */
  private call<T>(operation: string, fn: (conn: Connection) => Promise<T>): Promise<T> {
    return this.breaker.fire(operation, () =>
      callTrace.run({}, async () => {
        try {
          await this.signIn();
          const result = await fn(this.conn);
          this.limitStreak = 0;
          return result;
        } catch (err) {
          const classified = classifySalesforceError(operation, err, callTrace.getStore(), this.limitStreak);
          if (classified.code === 'REQUEST_LIMIT_EXCEEDED') this.limitStreak += 1;
          throw classified;
        }
      }),
    );
  }

  /**
   * All records of a query: the first page, then each nextRecordsUrl until done. Salesforce keeps
   * 10 cursors per user and releases the oldest, so a cursor lost mid-way restarts the query.
   */
  private async queryAll<T>(operation: string, schema: ZodType<T>, soql: string, restarts = 2): Promise<T[]> {
    const pageSchema = queryResult(schema);
    let page = this.parse(operation, pageSchema, await this.call(operation, (conn) => conn.query(soql).then((r) => r)));
    const records = [...page.records];
    const trail = new CursorTrail(SYSTEM, operation);
    while (!page.done && page.nextRecordsUrl) {
      const locator = trail.follow(page.nextRecordsUrl);
      try {
        page = this.parse(operation, pageSchema, await this.call(operation, (conn) => conn.queryMore(locator).then((r) => r)));
      } catch (err) {
        if (restarts > 0 && (err as { code?: string }).code === 'INVALID_QUERY_LOCATOR') return this.queryAll(operation, schema, soql, restarts - 1);
        throw err;
      }
      records.push(...page.records);
    }
    return records as T[];
  }

  private async signIn(): Promise<void> {
    if (this.conn.accessToken) return;
    this.signingIn ??= this.grant()
      .then((token) => {
        this.remember(token);
        this.conn.accessToken = token.access_token;
        this.conn.instanceUrl = token.instance_url;
      })
      .finally(() => {
        this.signingIn = undefined;
      });
    await this.signingIn;
  }

  private remember(token: TokenResponse): void {
    const match = /\/id\/([^/]+)\/([^/]+)$/.exec(token.id ?? '');
    if (match) this.identity = { organizationId: match[1], userId: match[2] };
  }

  private async grant(): Promise<TokenResponse> {
    if (this.options.grant === 'jwt_bearer') {
      if (!this.options.username || !this.options.jwtPrivateKey) {
        throw new NonRetryableDownstreamError('ConfigurationError', { system: SYSTEM, operation: 'signIn', code: 'MISSING_CREDENTIALS', message: 'the JWT bearer grant needs SALESFORCE_USERNAME and SALESFORCE_JWT_KEY_FILE (or SALESFORCE_JWT_KEY)' });
      }
      let assertion: string;
      try {
        assertion = jwtAssertion({ clientId: this.options.clientId, username: this.options.username, audience: this.options.jwtAudience ?? this.options.loginUrl, privateKey: this.options.jwtPrivateKey });
      } catch (err) {
        throw new NonRetryableDownstreamError('ConfigurationError', { system: SYSTEM, operation: 'signIn', code: 'INVALID_JWT_KEY', message: `cannot sign the JWT assertion: ${(err as Error).message}` });
      }
      return this.jwtClient.requestToken({ grant_type: JWT_BEARER_GRANT, assertion });
    }
    if (this.options.grant === 'password') {
      if (!this.options.username || !this.options.password) {
        throw new NonRetryableDownstreamError('ConfigurationError', { system: SYSTEM, operation: 'signIn', code: 'MISSING_CREDENTIALS', message: 'the password grant needs SALESFORCE_USERNAME and SALESFORCE_PASSWORD' });
      }
      return this.oauth2.authenticate(this.options.username, this.options.password);
    }
    return this.oauth2.requestToken({ grant_type: 'client_credentials' });
  }

  private parse<T>(operation: string, schema: ZodType<T>, data: unknown): T {
    return parseResponse(SYSTEM, operation, schema, data);
  }

  private input<T>(operation: string, schema: ZodType<T>, value: unknown): T {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    throw new NonRetryableDownstreamError('ValidationError', { system: SYSTEM, operation, code: 'INVALID_INPUT', message: parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'} ${i.message}`).join('; ') });
  }

  private assertId(operation: string, id: string, keyPrefix: string): void {
    if (!/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(id) || !id.startsWith(keyPrefix)) {
      throw new NonRetryableDownstreamError('ValidationError', { system: SYSTEM, operation, code: 'MALFORMED_ID', message: `not a Salesforce id with prefix ${keyPrefix}: ${id}` });
    }
  }

  private notFound(operation: string, message: string): NonRetryableDownstreamError {
    return new NonRetryableDownstreamError('NotFoundError', { system: SYSTEM, operation, code: 'NOT_FOUND', status: 404, message });
  }
}
