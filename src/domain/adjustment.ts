import { z } from 'zod';
import { MoneySchema } from './money';

export const AdjustmentTypeSchema = z.enum(['refund', 'replacement', 'goodwill-credit', 'price-adjustment']);
export type AdjustmentType = z.infer<typeof AdjustmentTypeSchema>;

export const AdjustmentStatusSchema = z.enum(['pending', 'posted', 'reversed', 'failed']);
export type AdjustmentStatus = z.infer<typeof AdjustmentStatusSchema>;

/** yyyy-mm-dd: the business day an adjustment is booked on and reconciled for. */
export const BusinessDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'business date as yyyy-mm-dd');

/**
 * A customer adjustment (refund, goodwill credit...) as recorded in the front office, keyed by
 * the idempotency key of the step that booked it so a retry can never book it twice.
 */
export const AdjustmentSchema = z.object({
  externalId: z.string().min(1).max(255),
  /** Salesforce record id and auto-number, once stored. */
  recordId: z.string().optional(),
  name: z.string().optional(),
  /** Salesforce Case id the adjustment belongs to. */
  caseId: z.string().optional(),
  orderNumber: z.string().optional(),
  amount: MoneySchema,
  type: AdjustmentTypeSchema,
  status: AdjustmentStatusSchema,
  businessDate: BusinessDateSchema,
  refundId: z.string().optional(),
  creditMemoId: z.string().optional(),
});
export type Adjustment = z.infer<typeof AdjustmentSchema>;

export const AdjustmentInputSchema = AdjustmentSchema.omit({ recordId: true, name: true });
export type AdjustmentInput = z.infer<typeof AdjustmentInputSchema>;
