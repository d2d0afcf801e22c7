import { z } from 'zod';

/** Salesforce's shapes as they come over the wire (validated before mapping to the domain). */
const text = z.string().nullable().optional();
const attributes = z.object({ type: z.string(), url: z.string().optional() }).optional();

export const SaveResultSchema = z.object({ id: z.string(), success: z.literal(true), errors: z.array(z.unknown()) });
export const UpsertResultSchema = z.object({ id: z.string(), success: z.literal(true), errors: z.array(z.unknown()), created: z.boolean() });

const queryResultSchema = <T extends z.ZodTypeAny>(record: T) =>
  z.object({ totalSize: z.number().int(), done: z.boolean(), nextRecordsUrl: z.string().optional(), records: z.array(record) });

// One query schema per record schema: zod compiles a schema on its first parse, so a new one per call compiled on every query.
const queryResults = new WeakMap<z.ZodTypeAny, z.ZodTypeAny>();

export const queryResult = <T extends z.ZodTypeAny>(record: T): ReturnType<typeof queryResultSchema<T>> => {
  let schema = queryResults.get(record) as ReturnType<typeof queryResultSchema<T>> | undefined;
  if (!schema) {
    schema = queryResultSchema(record);
    queryResults.set(record, schema);
  }
  return schema;
};

export const CaseRecordSchema = z.object({
  attributes,
  Id: z.string(),
  CaseNumber: z.string(),
  Subject: text,
  Status: z.string(),
  Reason: text,
  Origin: text,
  Order_Number__c: text,
  Store_Id__c: text,
  Region__c: text,
  Resolution__c: text,
  AccountId: text,
  ContactId: text,
  CreatedDate: text,
  Account: z.object({ attributes, Customer_Id__c: text, Segment__c: text }).nullable().optional(),
});
export type CaseRecord = z.infer<typeof CaseRecordSchema>;

export const AccountRecordSchema = z.object({
  attributes,
  Id: z.string(),
  Name: z.string(),
  Customer_Id__c: z.string(),
  Segment__c: text,
  Region__c: text,
  Home_Store__c: text,
  Phone: text,
});
export type AccountRecord = z.infer<typeof AccountRecordSchema>;

export const ContactRecordSchema = z.object({ attributes, Id: z.string(), Email: text, Phone: text });

export const UserRecordSchema = z.object({
  attributes,
  Id: z.string(),
  Name: z.string(),
  Email: text,
  Username: text,
  IsActive: z.boolean(),
  Refund_Approval_Limit__c: z.number().nullable().optional(),
  CurrencyIsoCode: text,
});
export type UserRecord = z.infer<typeof UserRecordSchema>;

export const AdjustmentRecordSchema = z.object({
  attributes,
  Id: z.string(),
  Name: text,
  External_Id__c: z.string(),
  Case__c: text,
  Order_Number__c: text,
  Amount__c: z.number(),
  CurrencyIsoCode: z.string(),
  Type__c: z.string(),
  Status__c: text,
  Business_Date__c: z.string(),
  Refund_Id__c: text,
  Credit_Memo_Id__c: text,
});
export type AdjustmentRecord = z.infer<typeof AdjustmentRecordSchema>;

/** CaseComment: only the id and the body that carries the idempotency marker. */
export const CommentRecordSchema = z.object({ attributes, Id: z.string(), CommentBody: text });
/** Task found by its external id Retail_Key__c. */
export const TaskKeySchema = z.object({ attributes, Id: z.string() });
export const TaskOnCaseSchema = z.object({ attributes, Id: z.string(), WhatId: z.string().nullish() });

export const IngestJobInfoSchema = z.object({
  id: z.string(),
  state: z.enum(['Open', 'UploadComplete', 'InProgress', 'JobComplete', 'Aborted', 'Failed']),
  numberRecordsProcessed: z.number().int().optional(),
  numberRecordsFailed: z.number().int().optional(),
  errorMessage: z.string().optional(),
});

export const BulkSuccessRowSchema = z.object({ sf__Id: z.string(), sf__Created: z.enum(['true', 'false']), Order_Number__c: z.string() });
export const BulkFailedRowSchema = z.object({ sf__Id: z.string().optional(), sf__Error: z.string(), Order_Number__c: z.string() });
