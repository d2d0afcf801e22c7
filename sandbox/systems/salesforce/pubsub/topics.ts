import { createHash } from 'node:crypto';
import avro from 'avsc';

/**
 * The org's event channels as the Pub/Sub API describes them: Change Data Capture for Case, Account
 * and Contact, and two custom Platform Events, each with the Avro schema Salesforce generates for it and a schema
 * id derived from the schema's text (a changed schema gets a new id, as on the platform).
 */
type AvroRecord = { type: 'record'; name: string; namespace: string; fields: { name: string; type: unknown; default?: unknown; doc?: string }[] };

const nullable = (type: unknown) => ({ type: ['null', type], default: null });

/** The header every change event starts with; fields named as Salesforce names them. */
const changeEventHeader = {
  type: 'record',
  name: 'ChangeEventHeader',
  namespace: 'com.sforce.eventbus',
  fields: [
    { name: 'entityName', type: 'string' },
    { name: 'recordIds', type: { type: 'array', items: 'string' } },
    { name: 'changeType', type: { type: 'enum', name: 'ChangeType', namespace: 'com.sforce.eventbus', symbols: ['CREATE', 'UPDATE', 'DELETE', 'UNDELETE', 'GAP_CREATE', 'GAP_UPDATE', 'GAP_DELETE', 'GAP_UNDELETE', 'GAP_OVERFLOW'] } },
    { name: 'changeOrigin', type: 'string' },
    { name: 'transactionKey', type: 'string' },
    { name: 'sequenceNumber', type: 'int' },
    { name: 'commitTimestamp', type: 'long' },
    { name: 'commitNumber', type: 'long' },
    { name: 'commitUser', type: 'string' },
    { name: 'nulledFields', type: { type: 'array', items: 'string' } },
    { name: 'diffFields', type: { type: 'array', items: 'string' } },
    { name: 'changedFields', type: { type: 'array', items: 'string' } },
  ],
};

/** Case fields carried by CaseChangeEvent, in schema order (bitmaps in the header index into this order). */
export const CASE_CHANGE_FIELDS: { name: string; type: ChangeFieldType }[] = [
  { name: 'OwnerId', type: 'string' },
  { name: 'CaseNumber', type: 'string' },
  { name: 'Subject', type: 'string' },
  { name: 'Description', type: 'string' },
  { name: 'Status', type: 'string' },
  { name: 'Reason', type: 'string' },
  { name: 'Origin', type: 'string' },
  { name: 'Priority', type: 'string' },
  { name: 'IsClosed', type: 'boolean' },
  { name: 'ClosedDate', type: 'long' },
  { name: 'Order_Number__c', type: 'string' },
  { name: 'Store_Id__c', type: 'string' },
  { name: 'Region__c', type: 'string' },
  { name: 'Resolution__c', type: 'string' },
  { name: 'AccountId', type: 'string' },
  { name: 'ContactId', type: 'string' },
  { name: 'CreatedDate', type: 'long' },
  { name: 'CreatedById', type: 'string' },
  { name: 'LastModifiedDate', type: 'long' },
  { name: 'LastModifiedById', type: 'string' },
];

export type ChangeFieldType = 'string' | 'boolean' | 'long' | 'double';

/** Account fields carried by AccountChangeEvent (the customer master's Salesforce half), in schema order. */
export const ACCOUNT_CHANGE_FIELDS: { name: string; type: ChangeFieldType }[] = [
  { name: 'OwnerId', type: 'string' },
  { name: 'Name', type: 'string' },
  { name: 'Customer_Id__c', type: 'string' },
  { name: 'ERP_Customer_Id__c', type: 'string' },
  { name: 'Segment__c', type: 'string' },
  { name: 'Region__c', type: 'string' },
  { name: 'Home_Store__c', type: 'string' },
  { name: 'Phone', type: 'string' },
  { name: 'Type', type: 'string' },
  { name: 'Credit_Limit__c', type: 'double' },
  { name: 'Payment_Terms__c', type: 'string' },
  { name: 'BillingStreet', type: 'string' },
  { name: 'BillingCity', type: 'string' },
  { name: 'BillingPostalCode', type: 'string' },
  { name: 'BillingCountry', type: 'string' },
  { name: 'CreatedDate', type: 'long' },
  { name: 'CreatedById', type: 'string' },
  { name: 'LastModifiedDate', type: 'long' },
  { name: 'LastModifiedById', type: 'string' },
];

/** Contact fields carried by ContactChangeEvent, in schema order. */
export const CONTACT_CHANGE_FIELDS: { name: string; type: ChangeFieldType }[] = [
  { name: 'OwnerId', type: 'string' },
  { name: 'AccountId', type: 'string' },
  { name: 'FirstName', type: 'string' },
  { name: 'LastName', type: 'string' },
  { name: 'Email', type: 'string' },
  { name: 'Phone', type: 'string' },
  { name: 'Marketing_Consent__c', type: 'boolean' },
  { name: 'CreatedDate', type: 'long' },
  { name: 'CreatedById', type: 'string' },
  { name: 'LastModifiedDate', type: 'long' },
  { name: 'LastModifiedById', type: 'string' },
];

/** A change event's schema: the header, then the object's fields, all nullable. */
const changeEvent = (name: string, fields: { name: string; type: ChangeFieldType }[]): AvroRecord => ({
  type: 'record',
  name,
  namespace: 'com.sforce.eventbus',
  fields: [{ name: 'ChangeEventHeader', type: changeEventHeader }, ...fields.map((f) => ({ name: f.name, ...nullable(f.type) }))],
});

const caseChangeEvent = changeEvent('CaseChangeEvent', CASE_CHANGE_FIELDS);

/** A Platform Event's schema: CreatedDate and CreatedById always, then its custom fields (required ones not nullable). */
function platformEvent(name: string, fields: { name: string; required: boolean }[]): AvroRecord {
  return {
    type: 'record',
    name,
    namespace: 'com.sforce.eventbus',
    fields: [
      { name: 'CreatedDate', type: 'long', doc: 'CreatedDate:DateTime' },
      { name: 'CreatedById', type: 'string', doc: 'CreatedBy:EntityId' },
      ...fields.map((f) => (f.required ? { name: f.name, type: 'string' } : { name: f.name, ...nullable('string') })),
    ],
  };
}

export interface TopicDef {
  name: string;
  kind: 'change-event' | 'platform-event';
  schema: AvroRecord;
  schemaId: string;
  type: avro.Type;
  canPublish: boolean;
}

const schemaId = (schema: AvroRecord): string => createHash('sha256').update(JSON.stringify(schema)).digest().subarray(0, 16).toString('base64url');

function topic(name: string, kind: TopicDef['kind'], schema: AvroRecord): TopicDef {
  // Salesforce publishes change events itself; only Platform Events accept Publish calls.
  return { name, kind, schema, schemaId: schemaId(schema), type: avro.Type.forSchema(schema as avro.Schema), canPublish: kind === 'platform-event' };
}

export const TOPICS: TopicDef[] = [
  topic('/data/CaseChangeEvent', 'change-event', caseChangeEvent),
  topic('/data/AccountChangeEvent', 'change-event', changeEvent('AccountChangeEvent', ACCOUNT_CHANGE_FIELDS)),
  topic('/data/ContactChangeEvent', 'change-event', changeEvent('ContactChangeEvent', CONTACT_CHANGE_FIELDS)),
  topic('/event/Resolution_Requested__e', 'platform-event', platformEvent('Resolution_Requested__e', [
    { name: 'CaseNumber__c', required: true },
    { name: 'Requested_By__c', required: false },
  ])),
  topic('/event/Case_Process_Status__e', 'platform-event', platformEvent('Case_Process_Status__e', [
    { name: 'Case_Number__c', required: true },
    { name: 'Process__c', required: true },
    { name: 'Stage__c', required: true },
    { name: 'Outcome__c', required: false },
    { name: 'Event_Key__c', required: true },
  ])),
];

export const findTopic = (name: string): TopicDef | undefined => TOPICS.find((t) => t.name === name);
export const topicBySchemaId = (id: string): TopicDef | undefined => TOPICS.find((t) => t.schemaId === id);

/** Field names → Salesforce's hex bitmap ("0x…", bit i = the schema's i-th top-level field). */
export function fieldBitmap(topicDef: TopicDef, names: string[]): string[] {
  let bits = 0n;
  for (const name of names) {
    const index = topicDef.schema.fields.findIndex((f) => f.name === name);
    if (index >= 0) bits |= 1n << BigInt(index);
  }
  if (bits === 0n) return [];
  const hex = bits.toString(16).toUpperCase();
  return [`0x${hex.length % 2 ? `0${hex}` : hex}`];
}
