import { MAX_CASE_LINES, MAX_LINE_QUANTITY } from '../../../domain/case-lines';
import { caseFields, IdempotencyKeySchema, ReasonSchema } from './common';
import { z } from './zod';

const lineNumber = z.number().int().min(1).max(1_000_000).openapi({ description: 'Line number on the case\'s order', example: 10 });
const quantity = z.number().int().min(1).max(MAX_LINE_QUANTITY).openapi({ description: 'At most what is left of the line (not yet refunded or replaced)' });
const distinctLines = (lines: { lineNumber: number }[]) => new Set(lines.map((l) => l.lineNumber)).size === lines.length;
const reason = ReasonSchema.optional().openapi({ description: 'Only when the Case has no reason (the Case\'s reason wins; a different one is refused)' });

export const CaseResolutionStartSchema = z
  .strictObject({
    caseNumber: caseFields.caseNumber,
    caseId: caseFields.caseId,
    idempotencyKey: IdempotencyKeySchema.optional(),
  })
  .openapi('CaseResolutionStart', { description: 'Start resolving a case: the orchestrator reads the Case and its order' });
export type CaseResolutionStart = z.infer<typeof CaseResolutionStartSchema>;

export const RefundLineSchema = z.strictObject({ lineNumber, quantity }).openapi('RefundLine');

export const RefundStartSchema = z
  .strictObject({
    ...caseFields,
    reason,
    lines: z
      .array(RefundLineSchema)
      .min(1)
      .max(MAX_CASE_LINES)
      .refine(distinctLines, 'each line number at most once')
      .optional()
      .openapi({ description: 'Partial refund; omitted = what is left of every line' }),
    idempotencyKey: IdempotencyKeySchema.optional(),
  })
  .openapi('RefundStart', { description: 'Refund a case: order, customer, payment and approval rules come from Salesforce and the ERP' });
export type RefundStart = z.infer<typeof RefundStartSchema>;

export const ReplacementLineSchema = z
  .strictObject({
    lineNumber,
    quantity,
    sku: z.string().min(1).max(64).optional().openapi({ description: 'Only for a substitute the resolution policy allows; default the ordered SKU' }),
  })
  .openapi('ReplacementLine');

export const ReplacementStartSchema = z
  .strictObject({
    ...caseFields,
    reason,
    lines: z
      .array(ReplacementLineSchema)
      .min(1)
      .max(MAX_CASE_LINES)
      .refine(distinctLines, 'each line number at most once')
      .optional()
      .openapi({ description: 'Lines shipped again; omitted = what is left of every line' }),
    idempotencyKey: IdempotencyKeySchema.optional(),
  })
  .openapi('ReplacementStart', { description: 'Ship a case\'s items again: the warehouse is the one holding every line' });
export type ReplacementStart = z.infer<typeof ReplacementStartSchema>;
