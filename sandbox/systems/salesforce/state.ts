import type { World } from '../../seed/world';
import type { ClassicJob } from './bulk-v1-jobs';
import { INTEGRATION_USER_ID, makeId } from './ids';
import { findObject, objectNames } from './schema';
import { seedCustomerMaster } from '../../seed/customer-master';

export type FieldValue = string | number | boolean | null;
export type SfRecord = Record<string, FieldValue>;

export interface IssuedToken {
  issuedAt: number;
  expiresAt: number;
  /** The user the session runs as (older state files have none: the integration user). */
  userId?: string;
}

export interface QueryCursor {
  object: string;
  /** queryAll: rows in the recycle bin too. */
  withDeleted?: boolean;
  select: string[];
  ids: string[];
  batchSize: number;
  createdAt: number;
  /** Cursors are counted and visible per user. */
  userId: string;
}

export interface IngestJob {
  id: string;
  object: string;
  operation: 'insert' | 'update' | 'upsert' | 'delete';
  externalIdFieldName?: string;
  state: 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Aborted' | 'Failed';
  /** The user whose session opened the job (jobs persisted before it was kept ran as the integration user). */
  createdById?: string;
  createdDate: string;
  systemModstamp: string;
  apiVersion: number;
  lineEnding: 'LF' | 'CRLF';
  columnDelimiter: 'COMMA';
  csv: string;
  /** When processing "starts" and "finishes", so pollers see UploadComplete → InProgress → JobComplete. */
  startAt?: number;
  completeAt?: number;
  processed: boolean;
  errorMessage?: string;
  columns: string[];
  successful: { id: string; created: boolean; row: string[] }[];
  failed: { id: string; error: string; row: string[] }[];
  unprocessed: string[][];
}

/** A connected app: consumer secret for client credentials, certificate for the JWT bearer flow. */
export interface ConnectedApp {
  clientSecret?: string;
  certificate?: string;
  preAuthorizedUsers: string[];
}

export interface SalesforceState {
  /** object name → id → record */
  records: Record<string, Record<string, SfRecord>>;
  /** key prefix → last record number issued */
  counters: Record<string, number>;
  /** object name → last auto-number issued (CaseNumber, Name of adjustments) */
  autoNumbers: Record<string, number>;
  tokens: Record<string, IssuedToken>;
  cursors: Record<string, QueryCursor>;
  jobs: Record<string, IngestJob>;
  apiUsage: { used: number; max: number };
  /** client id → app; absent in state files written before connected apps were kept. */
  connectedApps?: Record<string, ConnectedApp>;
  /** The recycle bin: object name → id → the deleted record (IsDeleted true, SystemModstamp the deletion); absent in older state files. */
  recycleBin?: Record<string, Record<string, SfRecord>>;
  /** Bulk API 1.0 jobs with their batches; absent in older state files. */
  bulkV1Jobs?: Record<string, ClassicJob>;
}

/** An object's rows for a query: the live ones, and with `queryAll` those in the recycle bin too. */
export function queryTable(state: SalesforceState, object: string, withDeleted: boolean): Record<string, SfRecord> {
  const live = (state.records[object] ??= {});
  const bin = withDeleted ? state.recycleBin?.[object] : undefined;
  return bin && Object.keys(bin).length ? { ...live, ...bin } : live;
}

/** Salesforce's datetime wire format: 2026-01-31T10:00:00.000+0000. */
export const sfDateTime = (date: Date | string = new Date()): string => new Date(date).toISOString().replace('Z', '+0000');

export function nextId(state: SalesforceState, prefix: string): string {
  state.counters[prefix] = (state.counters[prefix] ?? 0) + 1;
  return makeId(prefix, state.counters[prefix]);
}

const SEGMENTS: Record<string, string> = { standard: 'Standard', 'loyalty-silver': 'Loyalty Silver', 'loyalty-gold': 'Loyalty Gold', employee: 'Employee' };
const REASONS: Record<string, string> = { 'delayed-shipment': 'Delayed Shipment', 'not-received': 'Not Received', 'damaged-item': 'Damaged Item', 'wrong-item': 'Wrong Item' };
export const ORDER_STATUS: Record<string, string> = { created: 'Draft', allocated: 'Activated', shipped: 'Shipped', delivered: 'Delivered', cancelled: 'Cancelled' };

/** The org's slice of the world: accounts and contacts, products, orders with items, cases, recent adjustments. */
export function seedSalesforce(world: World): SalesforceState {
  const state: SalesforceState = {
    records: Object.fromEntries(objectNames().map((n) => [n, {}])),
    counters: {},
    autoNumbers: {},
    tokens: {},
    cursors: {},
    jobs: {},
    apiUsage: { used: 0, max: 100_000 },
  };
  const stamp = world.baseDate;
  const put = (object: string, fields: SfRecord, createdDate = stamp): string => {
    const def = findObject(object)!;
    const id = nextId(state, def.keyPrefix);
    const at = sfDateTime(createdDate);
    state.records[object][id] = { Id: id, CreatedDate: at, LastModifiedDate: at, SystemModstamp: at, IsDeleted: false, ...fields };
    return id;
  };

  // Users first: the first one gets 005…1, the integration user every token names.
  for (const u of world.users ?? []) {
    put('User', {
      Username: u.username,
      FirstName: u.firstName,
      LastName: u.lastName,
      Name: `${u.firstName} ${u.lastName}`,
      Email: u.email,
      IsActive: u.active,
      Title: u.title,
      CurrencyIsoCode: u.currency,
      Refund_Approval_Limit__c: u.refundApprovalLimit === undefined ? null : u.refundApprovalLimit / 100,
    });
  }

  const accountByCustomer = new Map<string, string>();
  const contactByCustomer = new Map<string, string>();
  for (const c of world.customers) {
    // The same customer master the ERP is seeded with, linked by ERP_Customer_Id__c.
    const master = seedCustomerMaster(world, c);
    const billing = { BillingStreet: master.billingAddress.street, BillingCity: master.billingAddress.city, BillingPostalCode: master.billingAddress.postalCode, BillingCountry: master.billingAddress.country };
    const accountId = put('Account', { OwnerId: INTEGRATION_USER_ID, Name: `${c.firstName} ${c.lastName}`, Customer_Id__c: c.customerId, Segment__c: SEGMENTS[c.segment], Region__c: c.region, Home_Store__c: c.homeStoreId, Phone: c.phone, Type: 'Customer', ERP_Customer_Id__c: c.customerId, Credit_Limit__c: master.creditLimit / 100, Payment_Terms__c: master.paymentTerms, ...billing });
    accountByCustomer.set(c.customerId, accountId);
    contactByCustomer.set(c.customerId, put('Contact', { OwnerId: INTEGRATION_USER_ID, FirstName: c.firstName, LastName: c.lastName, Email: c.email, Phone: c.phone, AccountId: accountId, Marketing_Consent__c: master.marketingConsent }));
  }

  const productBySku = new Map<string, string>();
  for (const p of world.products) {
    productBySku.set(p.sku, put('Product2', { Name: p.name, StockKeepingUnit: p.sku, ProductCode: p.sku, Family: p.family, IsActive: true, Returnable__c: p.returnable }));
  }

  // Every org has exactly one standard price book; list prices reach it from the ERP, so it starts without entries.
  put('Pricebook2', { Name: 'Standard Price Book', Description: 'The list price of every product', IsActive: true, IsStandard: true, ERP_Price_List_Id__c: null, ERP_Promotion_Id__c: null, Promotion_Status__c: null, Promotion_Start__c: null, Promotion_End__c: null, ERP_Version__c: null });

  let orderSeq = 0;
  for (const o of world.orders) {
    const milestone = world.shipments.find((s) => s.orderNumber === o.orderNumber)?.milestones.at(-1)?.code ?? null;
    const orderId = put(
      'Order',
      {
        OwnerId: INTEGRATION_USER_ID,
        OrderNumber: String(++orderSeq).padStart(8, '0'),
        Order_Number__c: o.orderNumber,
        Status: ORDER_STATUS[o.status],
        EffectiveDate: o.placedAt.slice(0, 10),
        AccountId: accountByCustomer.get(o.customerId) ?? null,
        Store_Id__c: o.storeId,
        Region__c: o.region,
        Channel__c: o.channel,
        TotalAmount: o.total / 100,
        CurrencyIsoCode: o.currency,
        Shipment_Status__c: milestone,
        Tracking_Number__c: o.trackingNumber ?? null,
        Carrier__c: o.carrier ?? null,
      },
      o.placedAt,
    );
    for (const line of o.lines) {
      put('OrderItem', { OrderId: orderId, Product2Id: productBySku.get(line.sku) ?? null, Line_Number__c: line.lineNumber, Quantity: line.quantity, UnitPrice: line.unitPrice / 100, TotalPrice: (line.unitPrice * line.quantity) / 100 }, o.placedAt);
    }
  }
  state.autoNumbers.Order = orderSeq;

  const orderByNumber = new Map(world.orders.map((o) => [o.orderNumber, o]));
  let maxCase = 0;
  const caseIds: { id: string; orderNumber: string; reason: string }[] = [];
  for (const c of world.cases) {
    const order = orderByNumber.get(c.orderNumber);
    const id = put(
      'Case',
      {
        OwnerId: INTEGRATION_USER_ID,
        CaseNumber: c.caseNumber,
        Subject: c.subject,
        Description: `Customer contacted us about ${c.orderNumber}.`,
        Status: c.status,
        Reason: REASONS[c.reason],
        Origin: 'Web',
        Priority: 'Medium',
        IsClosed: false,
        ClosedDate: null,
        Order_Number__c: c.orderNumber,
        Store_Id__c: order?.storeId ?? null,
        Region__c: order?.region ?? null,
        Resolution__c: null,
        AccountId: accountByCustomer.get(c.customerId) ?? null,
        ContactId: contactByCustomer.get(c.customerId) ?? null,
      },
      c.openedAt,
    );
    caseIds.push({ id, orderNumber: c.orderNumber, reason: c.reason });
    maxCase = Math.max(maxCase, Number(c.caseNumber));
  }
  state.autoNumbers.Case = maxCase;

  // A few business days of adjustments already booked by agents, so reconciliation has history to page.
  let adjustmentNo = 0;
  const base = new Date(world.baseDate).getTime();
  caseIds.slice(0, 9).forEach((c, i) => {
    const order = orderByNumber.get(c.orderNumber)!;
    const businessDate = new Date(base - (1 + (i % 3)) * 86_400_000).toISOString().slice(0, 10);
    const refund = c.reason === 'damaged-item' || c.reason === 'wrong-item';
    put('Customer_Adjustment__c', {
      OwnerId: INTEGRATION_USER_ID,
      Name: `ADJ-${String(++adjustmentNo).padStart(6, '0')}`,
      External_Id__c: `seed:adjustment:${c.orderNumber}`,
      Case__c: c.id,
      Order_Number__c: c.orderNumber,
      Amount__c: (refund ? order.lines[0].unitPrice : Math.min(1500, order.total)) / 100,
      CurrencyIsoCode: order.currency,
      Type__c: refund ? 'Refund' : 'Goodwill Credit',
      Status__c: 'Posted',
      Business_Date__c: businessDate,
      Refund_Id__c: null,
      Credit_Memo_Id__c: null,
    }, `${businessDate}T15:00:00.000Z`);
  });
  state.autoNumbers.Customer_Adjustment__c = adjustmentNo;
  return state;
}

/** The User Id the seed gives a world user (users are seeded first, in order), for tests and scripts that act as them. */
export function seededUserId(world: World, username: string): string {
  const index = (world.users ?? []).findIndex((u) => u.username === username);
  if (index < 0) throw new Error(`no seeded Salesforce user ${username}`);
  return makeId('005', index + 1);
}
