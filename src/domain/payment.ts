import { z } from 'zod';
import { MoneySchema } from './money';

/** Whether the captured funds have reached the merchant's balance (refund policy cares). */
export const SettlementSchema = z.object({
  status: z.enum(['pending', 'settled']),
  settledAt: z.iso.datetime().optional(),
});
export type Settlement = z.infer<typeof SettlementSchema>;

export const PaymentStatusSchema = z.enum(['captured', 'authorized', 'processing', 'incomplete', 'failed', 'cancelled']);
export type PaymentStatus = z.infer<typeof PaymentStatusSchema>;

/** The customer's payment for one order, as the payment provider knows it. */
export const PaymentSchema = z.object({
  paymentId: z.string().min(1),
  orderNumber: z.string().optional(),
  customerId: z.string().optional(),
  status: PaymentStatusSchema,
  method: z.string().optional(),
  amount: MoneySchema,
  captured: MoneySchema,
  /** Refunded so far, pending refunds included (they already reduce what can be refunded). */
  refunded: MoneySchema,
  refundable: MoneySchema,
  /** Quantities refunded per order line (line number → quantity), read from the provider's own refunds of this payment. */
  refundedLines: z.record(z.string(), z.number().int().nonnegative()).optional(),
  capturedAt: z.iso.datetime(),
  settlement: SettlementSchema,
});
export type Payment = z.infer<typeof PaymentSchema>;
