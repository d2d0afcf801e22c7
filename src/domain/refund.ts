import { z } from 'zod';
import { MoneySchema } from './money';

export const RefundReasonSchema = z.enum(['requested_by_customer', 'duplicate', 'fraudulent']);
export type RefundReason = z.infer<typeof RefundReasonSchema>;

export const RefundStatusSchema = z.enum(['pending', 'succeeded', 'failed', 'cancelled', 'requires_action']);
export type RefundStatus = z.infer<typeof RefundStatusSchema>;

/** Money returned to the customer's original payment method. */
export const RefundSchema = z.object({
  refundId: z.string().min(1),
  paymentId: z.string().min(1),
  amount: MoneySchema,
  status: RefundStatusSchema,
  reason: RefundReasonSchema.optional(),
  createdAt: z.iso.datetime(),
  metadata: z.record(z.string(), z.string()),
});
export type Refund = z.infer<typeof RefundSchema>;

export const RefundRequestSchema = z.object({
  paymentId: z.string().min(1),
  amount: MoneySchema,
  reason: RefundReasonSchema.default('requested_by_customer'),
  idempotencyKey: z.string().min(1).max(255),
  /** Cross-references for reconciliation (caseNumber, orderNumber, creditMemo ...). */
  metadata: z.record(z.string(), z.string()).default({}),
});
export type RefundRequest = z.input<typeof RefundRequestSchema>;

/** A business-date window for reconciliation; ISO timestamps, both ends inclusive. */
export const RefundWindowSchema = z.object({
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  paymentId: z.string().optional(),
});
export type RefundWindow = z.infer<typeof RefundWindowSchema>;
