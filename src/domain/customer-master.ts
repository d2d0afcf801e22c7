import { z } from 'zod';
import { CustomerSegmentSchema } from './customer';

/**
 * The customer master: the fields the ERP and Salesforce both hold for a customer, in one canonical
 * shape, which system owns each field, and the change either system reports. The ERP's customer
 * number is the customer's key in both (Account.ERP_Customer_Id__c in Salesforce).
 */

export const CUSTOMER_MASTER_FIELDS = ['name', 'email', 'phone', 'marketingConsent', 'segment', 'creditLimit', 'paymentTerms', 'billingAddress'] as const;
export const CustomerMasterFieldSchema = z.enum(CUSTOMER_MASTER_FIELDS);
export type CustomerMasterField = z.infer<typeof CustomerMasterFieldSchema>;

export const MasterSystemSchema = z.enum(['salesforce', 'erp']);
export type MasterSystem = z.infer<typeof MasterSystemSchema>;

export const PaymentTermsSchema = z.enum(['NET15', 'NET30', 'NET60', 'PREPAID']);
export const BillingAddressSchema = z.strictObject({ street: z.string().min(1), city: z.string().min(1), postalCode: z.string().min(1), country: z.string().regex(/^[A-Z]{2}$/) });

/** Every field optional: a change carries only what it touched. */
export const CustomerMasterValuesSchema = z.strictObject({
  name: z.string().min(1),
  email: z.string().min(3),
  phone: z.string().min(3),
  marketingConsent: z.boolean(),
  segment: CustomerSegmentSchema,
  /** Minor units of the customer's currency. */
  creditLimit: z.number().int().nonnegative(),
  paymentTerms: PaymentTermsSchema,
  billingAddress: BillingAddressSchema,
}).partial();
export type CustomerMasterValues = z.infer<typeof CustomerMasterValuesSchema>;

/** Which system's value of a field is the truth; the other system only ever receives it. */
export const FieldOwnershipSchema = z.strictObject(Object.fromEntries(CUSTOMER_MASTER_FIELDS.map((f) => [f, MasterSystemSchema])) as Record<CustomerMasterField, typeof MasterSystemSchema>);
export type FieldOwnership = z.infer<typeof FieldOwnershipSchema>;

/** The shipped table: the front office owns how to reach the customer, the ERP owns the commercial terms. */
export const DEFAULT_FIELD_OWNERSHIP: FieldOwnership = {
  email: 'salesforce',
  phone: 'salesforce',
  marketingConsent: 'salesforce',
  name: 'erp',
  segment: 'erp',
  creditLimit: 'erp',
  paymentTerms: 'erp',
  billingAddress: 'erp',
};

/**
 * One system's change to one customer. `version` orders changes from the same system (the ERP's
 * record version; Salesforce's commit number): a change not newer than one already seen is stale.
 */
export const CustomerChangeSchema = z.strictObject({
  eventId: z.string().min(1).max(200),
  source: MasterSystemSchema,
  customerId: z.string().min(1).max(64),
  version: z.number().int().nonnegative(),
  occurredAt: z.iso.datetime({ offset: true }),
  values: CustomerMasterValuesSchema,
  /** Salesforce's record ids, when the change came from there (saves a lookup on the way back). */
  salesforce: z.strictObject({ accountId: z.string().min(15).max(18), contactId: z.string().min(15).max(18).optional() }).optional(),
});
export type CustomerChange = z.infer<typeof CustomerChangeSchema>;

/** The ERP change of one customer as the workflow's signal carries it: the whole record, as of its version. */
export function erpChange(record: { customerId: string; version: number; lastModified: string; values: CustomerMasterValues }): CustomerChange {
  return { eventId: `erp:${record.customerId}:${record.version}`, source: 'erp', customerId: record.customerId, version: record.version, occurredAt: record.lastModified, values: record.values };
}

/** The customer's record in each system, in canonical terms, with what identifies the version read. */
export interface CustomerMasterSnapshot {
  customerId: string;
  erp: { values: Required<CustomerMasterValues>; version: number; lastModified: string };
  salesforce: { values: CustomerMasterValues; accountId: string; contactId?: string; lastModified: string };
}

/** The entity workflow of one customer (signal-with-start by the intake and the ERP change poll). */
export const customerSyncWorkflowId = (customerId: string) => `customer/${customerId}`;
export const CUSTOMER_CHANGE_SIGNAL = 'customerChange';

/** Equal field values (addresses compared field by field). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

/** What starts a customer's sync workflow: the ownership table and queues come from the deployment's configuration. */
export interface CustomerSyncInput {
  customerId: string;
  ownership: FieldOwnership;
  /** System task queues, when a deployment renamed them. */
  taskQueues?: { salesforce?: string; erp?: string };
  /** The previous run's state (continue-as-new). */
  carried?: unknown;
}

/** Where a change is forwarded: the customer's workflow, signalled with start on the orchestration queue. */
export interface CustomerSyncTarget {
  taskQueue: string;
  ownership: FieldOwnership;
  taskQueues?: CustomerSyncInput['taskQueues'];
}
