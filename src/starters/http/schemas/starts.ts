import { caseFields, CaseNumberSchema, IdempotencyKeySchema, ReasonSchema } from './common';
import { z } from './zod';

const optionalText = z.string().min(1).max(64).optional();

export const CaseResolutionStartSchema = z
  .strictObject({
    caseNumber: CaseNumberSchema,
    orderNumber: optionalText,
    customerId: optionalText,
    storeId: optionalText,
    region: optionalText,
    segment: optionalText,
    channel: optionalText,
    idempotencyKey: IdempotencyKeySchema.optional(),
  })
  .openapi('CaseResolutionStart', { description: 'Start resolving a case; the Case fields known to the caller help find the process early (the workflow reads the rest)' });
export type CaseResolutionStart = z.infer<typeof CaseResolutionStartSchema>;

export const RefundLineSchema = z
  .strictObject({ lineNumber: z.number().int().min(1), quantity: z.number().int().min(1) })
  .openapi('RefundLine');

export const RefundStartSchema = z
  .strictObject({
    ...caseFields,
    reason: ReasonSchema,
    returnRequired: z.boolean().default(false).openapi({ description: 'The goods come back: a return authorization is opened first' }),
    lines: z.array(RefundLineSchema).min(1).optional().openapi({ description: 'Partial refund; omitted = every line in full' }),
    warehouseId: z.string().min(1).max(64).optional(),
    paymentId: z.string().min(1).max(64).optional(),
    idempotencyKey: IdempotencyKeySchema.optional(),
  })
  .openapi('RefundStart');
export type RefundStart = z.infer<typeof RefundStartSchema>;

export const ReplacementLineSchema = z
  .strictObject({ lineNumber: z.number().int().min(1), sku: z.string().min(1).max(64), quantity: z.number().int().min(1) })
  .openapi('ReplacementLine');

export const ReplacementStartSchema = z
  .strictObject({
    ...caseFields,
    reason: ReasonSchema,
    lines: z.array(ReplacementLineSchema).min(1),
    warehouseId: z.string().min(1).max(64).openapi({ description: 'A warehouse with stock for every line' }),
    returnRequired: z.boolean().default(false),
    idempotencyKey: IdempotencyKeySchema.optional(),
  })
  .openapi('ReplacementStart');
export type ReplacementStart = z.infer<typeof ReplacementStartSchema>;
