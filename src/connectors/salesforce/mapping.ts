import { fromDecimal, toDecimal } from '../../domain/money';
import type { Adjustment, AdjustmentInput, AdjustmentStatus, AdjustmentType } from '../../domain/adjustment';
import type { Case, CaseReason, CaseResolution, CaseUpdate } from '../../domain/case';
import type { Customer, CustomerSegment } from '../../domain/customer';
import type { OrderStatus } from '../../domain/order';
import type { SalesforceUser } from '../../domain/salesforce-user';
import type { AccountRecord, AdjustmentRecord, CaseRecord, UserRecord } from './wire';
import type { OrderStatusUpdate } from './order-status';

/** Canonical value ↔ the org's picklist label. */
const picklist = <C extends string>(pairs: Record<C, string>) => {
  const reverse = new Map(Object.entries(pairs).map(([c, label]) => [(label as string).toLowerCase(), c as C]));
  return {
    toLabel: (value: C): string => pairs[value],
    fromLabel: (label: string | null | undefined): C | undefined => (label ? reverse.get(label.toLowerCase()) : undefined),
  };
};

export const segments = picklist<CustomerSegment>({ standard: 'Standard', 'loyalty-silver': 'Loyalty Silver', 'loyalty-gold': 'Loyalty Gold', employee: 'Employee' });
export const reasons = picklist<CaseReason>({ 'delayed-shipment': 'Delayed Shipment', 'not-received': 'Not Received', 'damaged-item': 'Damaged Item', 'wrong-item': 'Wrong Item', other: 'Other' });
export const resolutions = picklist<CaseResolution>({ refund: 'Refund', replacement: 'Replacement', 'no-action': 'No Action', 'pending-approval': 'Pending Approval' });
export const adjustmentTypes = picklist<AdjustmentType>({ refund: 'Refund', replacement: 'Replacement', 'goodwill-credit': 'Goodwill Credit', 'price-adjustment': 'Price Adjustment' });
export const adjustmentStatuses = picklist<AdjustmentStatus>({ pending: 'Pending', posted: 'Posted', reversed: 'Reversed', failed: 'Failed' });
export const orderStatuses = picklist<OrderStatus>({ created: 'Draft', allocated: 'Activated', shipped: 'Shipped', delivered: 'Delivered', cancelled: 'Cancelled' });

const opt = (v: string | null | undefined): string | undefined => (v === null || v === undefined || v === '' ? undefined : v);

export function toCase(r: CaseRecord): Case {
  return {
    caseId: r.Id,
    caseNumber: r.CaseNumber,
    subject: opt(r.Subject),
    status: r.Status,
    reason: reasons.fromLabel(r.Reason),
    origin: opt(r.Origin),
    orderNumber: opt(r.Order_Number__c),
    storeId: opt(r.Store_Id__c),
    region: opt(r.Region__c),
    resolution: resolutions.fromLabel(r.Resolution__c),
    accountId: opt(r.AccountId),
    contactId: opt(r.ContactId),
    customerId: opt(r.Account?.Customer_Id__c),
    segment: segments.fromLabel(r.Account?.Segment__c),
    openedAt: opt(r.CreatedDate),
  };
}

export function fromCaseUpdate(update: CaseUpdate): Record<string, string> {
  return {
    ...(update.status ? { Status: update.status } : {}),
    ...(update.resolution ? { Resolution__c: resolutions.toLabel(update.resolution) } : {}),
  };
}

export function toCustomer(a: AccountRecord, contact?: { Id: string; Email?: string | null; Phone?: string | null }): Customer {
  return {
    customerId: a.Customer_Id__c,
    accountId: a.Id,
    contactId: contact?.Id,
    name: a.Name,
    email: opt(contact?.Email),
    phone: opt(a.Phone) ?? opt(contact?.Phone),
    segment: segments.fromLabel(a.Segment__c),
    region: opt(a.Region__c),
    homeStoreId: opt(a.Home_Store__c),
  };
}

/** Refund_Approval_Limit__c is a decimal currency field in the user's currency; empty = no approval authority. */
export function toSalesforceUser(r: UserRecord): SalesforceUser {
  const limit = r.Refund_Approval_Limit__c;
  return {
    userId: r.Id,
    name: r.Name,
    email: opt(r.Email),
    username: opt(r.Username),
    active: r.IsActive,
    refundApprovalLimit: limit === null || limit === undefined || !r.CurrencyIsoCode ? undefined : fromDecimal(limit, r.CurrencyIsoCode),
  };
}

/** Amount__c is a decimal currency field; the domain only ever holds integer minor units. */
export function toAdjustment(r: AdjustmentRecord): Adjustment {
  const type = adjustmentTypes.fromLabel(r.Type__c);
  if (!type) throw new Error(`unknown adjustment type ${r.Type__c}`);
  return {
    externalId: r.External_Id__c,
    recordId: r.Id,
    name: opt(r.Name),
    caseId: opt(r.Case__c),
    orderNumber: opt(r.Order_Number__c),
    amount: fromDecimal(r.Amount__c, r.CurrencyIsoCode),
    type,
    status: adjustmentStatuses.fromLabel(r.Status__c) ?? 'pending',
    businessDate: r.Business_Date__c,
    refundId: opt(r.Refund_Id__c),
    creditMemoId: opt(r.Credit_Memo_Id__c),
  };
}

export function fromAdjustment(a: AdjustmentInput): Record<string, string | number | null> {
  return {
    Case__c: a.caseId ?? null,
    Order_Number__c: a.orderNumber ?? null,
    Amount__c: Number(toDecimal(a.amount)),
    CurrencyIsoCode: a.amount.currency,
    Type__c: adjustmentTypes.toLabel(a.type),
    Status__c: adjustmentStatuses.toLabel(a.status),
    Business_Date__c: a.businessDate,
    Refund_Id__c: a.refundId ?? null,
    Credit_Memo_Id__c: a.creditMemoId ?? null,
  };
}

/** Order fields for an upsert by Order_Number__c; a parent Account by its external id when creating. */
export function fromOrderStatus(u: OrderStatusUpdate): Record<string, unknown> {
  return {
    Status: orderStatuses.toLabel(u.status),
    ...(u.shipmentStatus ? { Shipment_Status__c: u.shipmentStatus } : {}),
    ...(u.trackingNumber ? { Tracking_Number__c: u.trackingNumber } : {}),
    ...(u.carrier ? { Carrier__c: u.carrier } : {}),
    ...(u.placedAt ? { EffectiveDate: u.placedAt.slice(0, 10) } : {}),
    ...(u.customerId ? { Account: { Customer_Id__c: u.customerId } } : {}),
  };
}

/** Bulk API 2.0 CSV columns for order upserts; an empty cell leaves the field as it is. */
export const ORDER_CSV_COLUMNS = ['Order_Number__c', 'Status', 'Shipment_Status__c', 'Tracking_Number__c', 'Carrier__c', 'EffectiveDate', 'Account.Customer_Id__c'] as const;

export function orderCsv(updates: OrderStatusUpdate[]): string {
  const quote = (v: string | undefined) => `"${(v ?? '').replace(/"/g, '""')}"`;
  const rows = updates.map((u) =>
    [u.orderNumber, orderStatuses.toLabel(u.status), u.shipmentStatus, u.trackingNumber, u.carrier, u.placedAt?.slice(0, 10), u.customerId].map(quote).join(','),
  );
  return [ORDER_CSV_COLUMNS.join(','), ...rows].join('\n') + '\n';
}
