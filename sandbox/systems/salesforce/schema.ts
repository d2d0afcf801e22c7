/**
 * The org's metadata: which sObjects exist, their key prefixes and fields. Field names are
 * matched case-insensitively, as Salesforce does, and always answered in their API spelling.
 */
export type FieldType = 'id' | 'string' | 'textarea' | 'picklist' | 'email' | 'phone' | 'double' | 'currency' | 'int' | 'boolean' | 'date' | 'datetime' | 'reference';

export interface FieldDef {
  name: string;
  type: FieldType;
  required?: boolean;
  externalId?: boolean;
  unique?: boolean;
  createable?: boolean;
  updateable?: boolean;
  /** For references: the sObject pointed at and the relationship name used in SOQL and upserts. */
  referenceTo?: string;
  relationshipName?: string;
  /** For references: the name the parent uses for its children in SOQL subqueries and describe's childRelationships. */
  childRelationshipName?: string;
  defaultValue?: string | number | boolean;
  /** Long text areas cannot be filtered in SOQL WHERE clauses. */
  filterable?: boolean;
}

export interface ObjectDef {
  name: string;
  label: string;
  keyPrefix: string;
  fields: FieldDef[];
  /** Auto-number field and its display format (`{0}` is the zero-padded number). */
  autoNumber?: { field: string; format: (n: number) => string };
  /** Validation rules: a message when the record breaks one (FIELD_CUSTOM_VALIDATION_EXCEPTION). */
  validate?: (record: Record<string, unknown>) => string | undefined;
}

const f = (name: string, type: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({ name, type, createable: true, updateable: true, ...extra });
const ref = (name: string, referenceTo: string, relationshipName: string, extra: Partial<FieldDef> = {}): FieldDef =>
  f(name, 'reference', { referenceTo, relationshipName, ...extra });

const system = (): FieldDef[] => [
  f('Id', 'id', { createable: false, updateable: false }),
  f('CreatedDate', 'datetime', { createable: false, updateable: false }),
  f('LastModifiedDate', 'datetime', { createable: false, updateable: false }),
  f('SystemModstamp', 'datetime', { createable: false, updateable: false }),
  f('IsDeleted', 'boolean', { createable: false, updateable: false }),
];
const owned = (): FieldDef[] => [f('OwnerId', 'reference', { referenceTo: 'User' })];

const OBJECTS: ObjectDef[] = [
  {
    // Name is compound (FirstName + LastName) and read-only, as in a real org.
    name: 'User',
    label: 'User',
    keyPrefix: '005',
    fields: [
      ...system(),
      f('Username', 'string', { required: true, unique: true }),
      f('FirstName', 'string'),
      f('LastName', 'string', { required: true }),
      f('Name', 'string', { createable: false, updateable: false }),
      f('Email', 'email', { required: true }),
      f('IsActive', 'boolean', { defaultValue: true }),
      f('Title', 'string'),
      f('CurrencyIsoCode', 'picklist', { defaultValue: 'USD' }),
      f('Refund_Approval_Limit__c', 'currency'),
    ],
    validate: (r) => (typeof r.Refund_Approval_Limit__c === 'number' && r.Refund_Approval_Limit__c < 0 ? 'Refund approval limit cannot be negative' : undefined),
  },
  {
    name: 'Account',
    label: 'Account',
    keyPrefix: '001',
    fields: [
      ...system(),
      ...owned(),
      f('Name', 'string', { required: true }),
      f('Customer_Id__c', 'string', { externalId: true, unique: true }),
      f('Segment__c', 'picklist'),
      f('Region__c', 'picklist'),
      f('Home_Store__c', 'string'),
      f('Phone', 'phone'),
      f('Type', 'picklist'),
      // The customer master: the ERP's customer number, and the fields the ERP owns (docs/master-data.md).
      f('ERP_Customer_Id__c', 'string', { externalId: true, unique: true }),
      f('Credit_Limit__c', 'currency'),
      f('Payment_Terms__c', 'picklist'),
      f('BillingStreet', 'textarea'),
      f('BillingCity', 'string'),
      f('BillingPostalCode', 'string'),
      f('BillingCountry', 'string'),
    ],
  },
  {
    name: 'Contact',
    label: 'Contact',
    keyPrefix: '003',
    fields: [
      ...system(),
      ...owned(),
      f('FirstName', 'string'),
      f('LastName', 'string', { required: true }),
      f('Email', 'email'),
      f('Phone', 'phone'),
      ref('AccountId', 'Account', 'Account', { childRelationshipName: 'Contacts' }),
      f('Marketing_Consent__c', 'boolean', { defaultValue: false }),
    ],
  },
  {
    name: 'Case',
    label: 'Case',
    keyPrefix: '500',
    autoNumber: { field: 'CaseNumber', format: (n) => String(n).padStart(8, '0') },
    fields: [
      ...system(),
      ...owned(),
      f('CaseNumber', 'string', { createable: false, updateable: false }),
      f('Subject', 'string'),
      f('Description', 'textarea', { filterable: false }),
      f('Status', 'picklist', { defaultValue: 'New' }),
      f('Reason', 'picklist'),
      f('Origin', 'picklist'),
      f('Priority', 'picklist', { defaultValue: 'Medium' }),
      f('IsClosed', 'boolean', { createable: false, updateable: false }),
      f('ClosedDate', 'datetime', { createable: false, updateable: false }),
      f('Order_Number__c', 'string'),
      f('Store_Id__c', 'string'),
      f('Region__c', 'picklist'),
      f('Resolution__c', 'picklist'),
      ref('AccountId', 'Account', 'Account', { childRelationshipName: 'Cases' }),
      ref('ContactId', 'Contact', 'Contact', { childRelationshipName: 'Cases' }),
      // The writer's own key for cases it opens itself (proactive service): a repeated open upserts the same Case.
      f('Retail_Key__c', 'string', { externalId: true, unique: true }),
    ],
  },
  {
    name: 'CaseComment',
    label: 'Case Comment',
    keyPrefix: '00a',
    fields: [
      ...system(),
      ref('ParentId', 'Case', 'Parent', { required: true, updateable: false, childRelationshipName: 'CaseComments' }),
      f('CommentBody', 'textarea', { required: true, filterable: false }),
      f('IsPublished', 'boolean', { defaultValue: false }),
    ],
  },
  {
    name: 'Order',
    label: 'Order',
    keyPrefix: '801',
    fields: [
      ...system(),
      ...owned(),
      f('OrderNumber', 'string', { createable: false, updateable: false }),
      f('Order_Number__c', 'string', { externalId: true, unique: true }),
      f('Status', 'picklist', { required: true }),
      f('EffectiveDate', 'date', { required: true }),
      ref('AccountId', 'Account', 'Account', { required: true, childRelationshipName: 'Orders' }),
      f('Store_Id__c', 'string'),
      f('Region__c', 'picklist'),
      f('Channel__c', 'picklist'),
      f('TotalAmount', 'currency'),
      f('CurrencyIsoCode', 'picklist'),
      f('Shipment_Status__c', 'picklist'),
      f('Tracking_Number__c', 'string'),
      f('Carrier__c', 'string'),
    ],
    validate: (r) => (typeof r.TotalAmount === 'number' && r.TotalAmount < 0 ? 'Order total cannot be negative' : undefined),
  },
  {
    name: 'OrderItem',
    label: 'Order Product',
    keyPrefix: '802',
    fields: [
      ...system(),
      ref('OrderId', 'Order', 'Order', { required: true, updateable: false, childRelationshipName: 'OrderItems' }),
      ref('Product2Id', 'Product2', 'Product2'),
      f('Line_Number__c', 'int'),
      f('Quantity', 'double', { required: true }),
      f('UnitPrice', 'currency', { required: true }),
      f('TotalPrice', 'currency', { createable: false, updateable: false }),
    ],
  },
  {
    name: 'Product2',
    label: 'Product',
    keyPrefix: '01t',
    fields: [
      ...system(),
      f('Name', 'string', { required: true }),
      f('StockKeepingUnit', 'string', { externalId: true, unique: true }),
      f('ProductCode', 'string'),
      f('Family', 'picklist'),
      f('IsActive', 'boolean', { defaultValue: true }),
      f('Returnable__c', 'boolean', { defaultValue: true }),
    ],
  },
  {
    // The standard price book (IsStandard, seeded, one per org) and custom ones: one per ERP price list, one per promotion.
    name: 'Pricebook2',
    label: 'Price Book',
    keyPrefix: '01s',
    fields: [
      ...system(),
      f('Name', 'string', { required: true }),
      f('Description', 'textarea', { filterable: false }),
      f('IsActive', 'boolean', { defaultValue: false }),
      f('IsStandard', 'boolean', { createable: false, updateable: false, defaultValue: false }),
      f('ERP_Price_List_Id__c', 'string', { externalId: true, unique: true }),
      f('ERP_Promotion_Id__c', 'string', { externalId: true, unique: true }),
      f('Promotion_Status__c', 'picklist'),
      f('Promotion_Start__c', 'datetime'),
      f('Promotion_End__c', 'datetime'),
      f('ERP_Version__c', 'double'),
    ],
  },
  {
    // A product's price in one price book and currency; a custom book's entry needs the standard book's entry first.
    name: 'PricebookEntry',
    label: 'Price Book Entry',
    keyPrefix: '01u',
    fields: [
      ...system(),
      f('Name', 'string', { createable: false, updateable: false }),
      f('ProductCode', 'string', { createable: false, updateable: false }),
      ref('Pricebook2Id', 'Pricebook2', 'Pricebook2', { required: true, updateable: false, childRelationshipName: 'PricebookEntries' }),
      ref('Product2Id', 'Product2', 'Product2', { required: true, updateable: false, childRelationshipName: 'PricebookEntries' }),
      f('UnitPrice', 'currency', { required: true }),
      f('IsActive', 'boolean', { defaultValue: false }),
      f('UseStandardPrice', 'boolean', { defaultValue: false }),
      f('CurrencyIsoCode', 'picklist', { defaultValue: 'USD', updateable: false }),
      f('ERP_Price_Key__c', 'string', { externalId: true, unique: true }),
      f('Effective_From__c', 'datetime'),
      f('Effective_To__c', 'datetime'),
      f('ERP_Version__c', 'double'),
    ],
    validate: (r) => (typeof r.UnitPrice === 'number' && r.UnitPrice < 0 ? 'Price cannot be negative' : undefined),
  },
  {
    name: 'Task',
    label: 'Task',
    keyPrefix: '00T',
    fields: [
      ...system(),
      ...owned(),
      f('Subject', 'string', { required: true }),
      f('Description', 'textarea', { filterable: false }),
      ref('WhatId', 'Case', 'What', { childRelationshipName: 'Tasks' }),
      f('Status', 'picklist', { defaultValue: 'Not Started' }),
      f('Priority', 'picklist', { defaultValue: 'Normal' }),
      f('ActivityDate', 'date'),
      // The writer's own key (external id), so a repeated create can be an upsert instead of a duplicate.
      f('Retail_Key__c', 'string', { externalId: true, unique: true }),
    ],
  },
  {
    name: 'Customer_Adjustment__c',
    label: 'Customer Adjustment',
    keyPrefix: 'a0B',
    autoNumber: { field: 'Name', format: (n) => `ADJ-${String(n).padStart(6, '0')}` },
    fields: [
      ...system(),
      ...owned(),
      f('Name', 'string', { createable: false, updateable: false }),
      f('External_Id__c', 'string', { required: true, externalId: true, unique: true }),
      ref('Case__c', 'Case', 'Case__r', { childRelationshipName: 'Customer_Adjustments__r' }),
      f('Order_Number__c', 'string'),
      f('Amount__c', 'currency', { required: true }),
      f('CurrencyIsoCode', 'picklist', { defaultValue: 'USD' }),
      f('Type__c', 'picklist', { required: true }),
      f('Status__c', 'picklist', { defaultValue: 'Pending' }),
      f('Business_Date__c', 'date', { required: true }),
      f('Refund_Id__c', 'string'),
      f('Credit_Memo_Id__c', 'string'),
    ],
    validate: (r) => (typeof r.Amount__c === 'number' && r.Amount__c <= 0 ? 'Adjustment amount must be greater than zero' : undefined),
  },
  {
    // Stock of one SKU at one location as the ERP or the warehouse last counted it; upserted by Availability_Key__c (SKU@location).
    name: 'Product_Availability__c',
    label: 'Product Availability',
    keyPrefix: 'a0P',
    fields: [
      ...system(),
      ...owned(),
      f('Name', 'string'),
      f('Availability_Key__c', 'string', { required: true, externalId: true, unique: true }),
      f('SKU__c', 'string', { required: true }),
      f('Location__c', 'string', { required: true }),
      f('On_Hand__c', 'double', { required: true }),
      f('Reserved__c', 'double', { defaultValue: 0 }),
      f('Available__c', 'double', { required: true }),
      f('Stock_Source__c', 'picklist'),
      f('Stock_Version__c', 'double'),
      f('Stock_Changed_At__c', 'datetime'),
    ],
    validate: (r) => {
      const counts = [r.On_Hand__c, r.Reserved__c, r.Available__c].filter((v): v is number => typeof v === 'number');
      if (counts.some((v) => v < 0)) return 'Stock quantities cannot be negative';
      return typeof r.Available__c === 'number' && typeof r.On_Hand__c === 'number' && r.Available__c > r.On_Hand__c ? 'Available cannot exceed on hand' : undefined;
    },
  },
];

const byName = new Map(OBJECTS.map((o) => [o.name.toLowerCase(), o]));
const fieldMaps = new Map(OBJECTS.map((o) => [o.name, new Map(o.fields.map((fd) => [fd.name.toLowerCase(), fd]))]));

export const objectNames = (): string[] => OBJECTS.map((o) => o.name);

export function findObject(name: string): ObjectDef | undefined {
  return byName.get(name.toLowerCase());
}

export function findField(object: ObjectDef, name: string): FieldDef | undefined {
  return fieldMaps.get(object.name)!.get(name.toLowerCase());
}

export function findRelationship(object: ObjectDef, relationshipName: string): FieldDef | undefined {
  const lower = relationshipName.toLowerCase();
  return object.fields.find((fd) => fd.relationshipName?.toLowerCase() === lower);
}

/** A child relationship of `parent` (Account's Contacts, Case's CaseComments…): the child object and its reference field. */
export interface ChildRelationship {
  relationshipName: string;
  child: ObjectDef;
  field: FieldDef;
}

export function childRelationships(parent: ObjectDef): ChildRelationship[] {
  return OBJECTS.flatMap((child) =>
    child.fields.filter((fd) => fd.referenceTo === parent.name && fd.childRelationshipName).map((field) => ({ relationshipName: field.childRelationshipName!, child, field })),
  );
}

export function findChildRelationship(parent: ObjectDef, name: string): ChildRelationship | undefined {
  const lower = name.toLowerCase();
  return childRelationships(parent).find((c) => c.relationshipName.toLowerCase() === lower);
}

export function objectByPrefix(id: string): ObjectDef | undefined {
  return OBJECTS.find((o) => id.startsWith(o.keyPrefix));
}

/** The describe payload jsforce's `describe()` reads (a trimmed DescribeSObjectResult). */
export function describe(object: ObjectDef, baseUrl: string): Record<string, unknown> {
  return {
    name: object.name,
    label: object.label,
    keyPrefix: object.keyPrefix,
    custom: object.name.endsWith('__c'),
    createable: true,
    updateable: true,
    queryable: true,
    urls: { sobject: `${baseUrl}/sobjects/${object.name}`, describe: `${baseUrl}/sobjects/${object.name}/describe` },
    fields: object.fields.map((fd) => ({
      name: fd.name,
      type: fd.type,
      externalId: !!fd.externalId,
      unique: !!fd.unique,
      nillable: !fd.required,
      createable: fd.createable !== false,
      updateable: fd.updateable !== false,
      filterable: fd.filterable !== false,
      referenceTo: fd.referenceTo ? [fd.referenceTo] : [],
      relationshipName: fd.relationshipName ?? null,
      defaultValue: fd.defaultValue ?? null,
    })),
    // Deleting a parent here leaves its children in place, so no relationship cascades.
    childRelationships: childRelationships(object).map((c) => ({
      childSObject: c.child.name,
      field: c.field.name,
      relationshipName: c.relationshipName,
      cascadeDelete: false,
      restrictedDelete: false,
      deprecatedAndHidden: false,
      junctionIdListNames: [],
      junctionReferenceTo: [],
    })),
  };
}
