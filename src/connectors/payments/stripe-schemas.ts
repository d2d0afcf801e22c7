import { z } from 'zod';

/** Stripe's wire shapes, only the fields this product reads (extra fields pass through untouched). */
export const StripeBalanceTransaction = z.object({
  id: z.string(),
  object: z.literal('balance_transaction'),
  status: z.enum(['available', 'pending']),
  available_on: z.number().int(),
});

export const StripeCharge = z.object({
  id: z.string(),
  object: z.literal('charge'),
  amount: z.number().int(),
  amount_refunded: z.number().int(),
  currency: z.string(),
  created: z.number().int(),
  payment_method_details: z.object({ type: z.string() }).nullish(),
  balance_transaction: z.union([z.string(), StripeBalanceTransaction]).nullish(),
});

export const StripePaymentIntent = z.object({
  id: z.string(),
  object: z.literal('payment_intent'),
  amount: z.number().int(),
  amount_received: z.number().int(),
  currency: z.string(),
  status: z.string(),
  created: z.number().int(),
  latest_charge: z.union([z.string(), StripeCharge]).nullish(),
  metadata: z.record(z.string(), z.string()).default({}),
});
export type StripePaymentIntent = z.infer<typeof StripePaymentIntent>;

export const StripeRefund = z.object({
  id: z.string(),
  object: z.literal('refund'),
  amount: z.number().int(),
  currency: z.string(),
  payment_intent: z.string().nullable(),
  status: z.string(),
  reason: z.string().nullable(),
  created: z.number().int(),
  metadata: z.record(z.string(), z.string()).nullish(),
});
export type StripeRefund = z.infer<typeof StripeRefund>;

export const StripeRefundList = z.object({
  object: z.literal('list'),
  data: z.array(StripeRefund),
  has_more: z.boolean(),
});

/** Stripe's error envelope; the code (or else the type) is what classification reads. */
export const StripeErrorBody = z.object({
  error: z.object({ type: z.string().optional(), code: z.string().optional(), message: z.string().optional(), param: z.string().optional() }),
});
