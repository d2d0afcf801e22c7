import { z } from 'zod';
import { PaymentTermsSchema, type CustomerMasterField, type CustomerMasterValues } from '../../domain/customer-master';
import { segments } from './mapping';

/** The customer master's Salesforce half: Account (commercial terms, address) and its primary Contact (how to reach them). */
const text = z.string().nullable().optional();
const attributes = z.object({ type: z.string(), url: z.string().optional() }).optional();

export const MasterAccountRecordSchema = z.object({
  attributes,
  Id: z.string(),
  Name: z.string(),
  ERP_Customer_Id__c: text,
  Segment__c: text,
  Credit_Limit__c: z.number().nullable().optional(),
  Payment_Terms__c: text,
  BillingStreet: text,
  BillingCity: text,
  BillingPostalCode: text,
  BillingCountry: text,
  LastModifiedDate: z.string(),
});
export const MasterContactRecordSchema = z.object({ attributes, Id: z.string(), AccountId: text, Email: text, Phone: text, Marketing_Consent__c: z.boolean().nullable().optional(), LastModifiedDate: z.string() });
export type MasterAccountRecord = z.infer<typeof MasterAccountRecordSchema>;
export type MasterContactRecord = z.infer<typeof MasterContactRecordSchema>;

export const MASTER_ACCOUNT_FIELDS = 'Id, Name, ERP_Customer_Id__c, Segment__c, Credit_Limit__c, Payment_Terms__c, BillingStreet, BillingCity, BillingPostalCode, BillingCountry, LastModifiedDate';
export const MASTER_CONTACT_FIELDS = 'Id, AccountId, Email, Phone, Marketing_Consent__c, LastModifiedDate';

/** Which sObject fields hold each canonical field (change events name these). */
export const ACCOUNT_FIELD_OF: Partial<Record<CustomerMasterField, string[]>> = {
  name: ['Name'],
  segment: ['Segment__c'],
  creditLimit: ['Credit_Limit__c'],
  paymentTerms: ['Payment_Terms__c'],
  billingAddress: ['BillingStreet', 'BillingCity', 'BillingPostalCode', 'BillingCountry'],
};
export const CONTACT_FIELD_OF: Partial<Record<CustomerMasterField, string[]>> = { email: ['Email'], phone: ['Phone'], marketingConsent: ['Marketing_Consent__c'] };

const terms = (value: string | null | undefined) => PaymentTermsSchema.safeParse(value).data;

/** Canonical values of an Account (and Contact) record or change event; fields Salesforce leaves empty are absent. */
export function fromAccount(r: Partial<Record<string, unknown>>): CustomerMasterValues {
  const s = (name: string) => (typeof r[name] === 'string' && r[name] !== '' ? (r[name] as string) : undefined);
  const values: CustomerMasterValues = {};
  if (s('Name')) values.name = s('Name');
  const segment = segments.fromLabel(s('Segment__c'));
  if (segment) values.segment = segment;
  if (typeof r.Credit_Limit__c === 'number') values.creditLimit = Math.round(r.Credit_Limit__c * 100);
  const paymentTerms = terms(s('Payment_Terms__c'));
  if (paymentTerms) values.paymentTerms = paymentTerms;
  const [street, city, postalCode, country] = ['BillingStreet', 'BillingCity', 'BillingPostalCode', 'BillingCountry'].map(s);
  if (street && city && postalCode && country) values.billingAddress = { street, city, postalCode, country };
  return values;
}

export function fromContact(r: Partial<Record<string, unknown>>): CustomerMasterValues {
  const values: CustomerMasterValues = {};
  if (typeof r.Email === 'string' && r.Email) values.email = r.Email;
  if (typeof r.Phone === 'string' && r.Phone) values.phone = r.Phone;
  if (typeof r.Marketing_Consent__c === 'boolean') values.marketingConsent = r.Marketing_Consent__c;
  return values;
}

/** The Account and Contact field values for canonical values (only the fields given). */
export function toSalesforce(values: CustomerMasterValues): { account: Record<string, unknown>; contact: Record<string, unknown> } {
  const account: Record<string, unknown> = {};
  const contact: Record<string, unknown> = {};
  if (values.name !== undefined) account.Name = values.name;
  if (values.segment !== undefined) account.Segment__c = segments.toLabel(values.segment);
  if (values.creditLimit !== undefined) account.Credit_Limit__c = values.creditLimit / 100;
  if (values.paymentTerms !== undefined) account.Payment_Terms__c = values.paymentTerms;
  if (values.billingAddress !== undefined) {
    const a = values.billingAddress;
    Object.assign(account, { BillingStreet: a.street, BillingCity: a.city, BillingPostalCode: a.postalCode, BillingCountry: a.country });
  }
  if (values.email !== undefined) contact.Email = values.email;
  if (values.phone !== undefined) contact.Phone = values.phone;
  if (values.marketingConsent !== undefined) contact.Marketing_Consent__c = values.marketingConsent;
  return { account, contact };
}

/** The canonical fields a change event touched, from the sObject field names it lists. */
export function touchedFields(object: 'Account' | 'Contact', changedFields: string[]): CustomerMasterField[] {
  const map = object === 'Account' ? ACCOUNT_FIELD_OF : CONTACT_FIELD_OF;
  return (Object.entries(map) as [CustomerMasterField, string[]][]).filter(([, names]) => names.some((n) => changedFields.includes(n))).map(([field]) => field);
}
