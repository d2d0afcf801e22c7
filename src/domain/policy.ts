import { z } from 'zod';
import { CaseReasonSchema, type CaseReason } from './case';
import type { Money } from './money';

/** A Temporal-style duration string ("90 seconds", "24 hours", "500ms"). */
export const DurationTextSchema = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)$/i, 'a duration such as "30 seconds" or "24 hours"');

const MinorUnits = z.number().int().nonnegative();


/**
 * The rules a retailer sets for resolving service cases. Amounts are minor units in the order's
 * currency; thresholds per currency fall back to `default`.
 */
export const ResolutionPolicySchema = z.object({
  /** Days after the order was placed in which a refund or replacement is decided automatically. */
  refundWindowDays: z.number().int().positive().default(30),
  /** Refunds above this amount need a supervisor's approval. */
  approvalThreshold: z.record(z.string(), MinorUnits).default({ default: 25_000 }),
  /** Loyalty segments whose refunds are approved automatically up to this amount. */
  autoApproveUpTo: z.record(z.string(), MinorUnits).default({ 'loyalty-gold': 60_000, employee: 40_000 }),
  /** Reasons resolved by shipping the goods again (when stock allows), and reasons refunded. */
  replacementReasons: z.array(CaseReasonSchema).default(['damaged-item', 'wrong-item']),
  refundReasons: z.array(CaseReasonSchema).default(['not-received']),
  /** A replacement is only offered when every line is in stock at one warehouse. */
  replacementRequiresStock: z.boolean().default(true),
  /** Goods are returned (return authorization) for these reasons before the refund or replacement. */
  returnRequiredFor: z.array(CaseReasonSchema).default(['wrong-item']),
  approvalTimeout: DurationTextSchema.default('24 hours'),
  /** After the escalation, how long a supervisor has before the default applies. */
  escalationTimeout: DurationTextSchema.default('48 hours'),
  defaultOnApprovalTimeout: z.enum(['approve', 'reject']).default('reject'),
  /** How long a case waits for the agent's choice when the policy cannot decide. */
  agentChoiceTimeout: DurationTextSchema.default('72 hours'),
  /** A replacement not shipped within this time is escalated. */
  replacementShipWithin: DurationTextSchema.default('48 hours'),
  /** A delivery not confirmed within this time after shipping is escalated. */
  replacementDeliverWithin: DurationTextSchema.default('14 days'),
  /** SKUs a replacement may ship instead of the ordered one (ordered SKU → allowed substitutes); none by default. */
  replacementSubstitutes: z.record(z.string(), z.array(z.string().min(1))).default({}),
  /** Failed attempts of one step before an alert is raised (the step keeps retrying). */
  alertAfterAttempts: z.number().int().min(1).max(100).default(5),
  /** Longest pause between the server's retries of a failing refund or replacement step (and its undo): how soon a recovered system is noticed. Unset: 1 minute for refunds, 10 seconds for replacements. */
  retryMaximumInterval: DurationTextSchema.optional(),
});
export type ResolutionPolicy = z.infer<typeof ResolutionPolicySchema>;
export type ResolutionPolicyInput = z.input<typeof ResolutionPolicySchema>;

export const defaultResolutionPolicy: ResolutionPolicy = ResolutionPolicySchema.parse({});

export type ResolutionKind = 'refund' | 'replacement';

export interface ResolutionFacts {
  reason: CaseReason;
  orderPlacedAt: string;
  /** Workflow time (deterministic), ISO string. */
  now: string;
  orderStatus: string;
  /** Every line of the order in stock at one warehouse. */
  stockAvailable: boolean;
}

export type ResolutionDecision =
  | { kind: ResolutionKind; decidedBy: 'policy'; rule: string }
  | { kind: 'agent'; decidedBy: 'policy'; rule: string };

/** Pure and deterministic, so workflows may call it: which resolution the policy chooses, or "ask the agent". */
export function decideResolution(facts: ResolutionFacts, policy: ResolutionPolicy): ResolutionDecision {
  const ageDays = (Date.parse(facts.now) - Date.parse(facts.orderPlacedAt)) / 86_400_000;
  if (facts.orderStatus === 'cancelled') return { kind: 'agent', decidedBy: 'policy', rule: 'order-cancelled' };
  if (ageDays > policy.refundWindowDays) return { kind: 'agent', decidedBy: 'policy', rule: 'outside-refund-window' };
  if (policy.replacementReasons.includes(facts.reason)) {
    if (facts.stockAvailable || !policy.replacementRequiresStock) return { kind: 'replacement', decidedBy: 'policy', rule: `replacement-for-${facts.reason}` };
    return { kind: 'refund', decidedBy: 'policy', rule: 'no-stock-for-replacement' };
  }
  if (policy.refundReasons.includes(facts.reason)) return { kind: 'refund', decidedBy: 'policy', rule: `refund-for-${facts.reason}` };
  return { kind: 'agent', decidedBy: 'policy', rule: `no-rule-for-${facts.reason}` };
}

/** Whether a refund of this amount for this customer segment needs a supervisor's approval. */
export function refundNeedsApproval(amount: Money, segment: string | undefined, policy: ResolutionPolicy): boolean {
  const threshold = policy.approvalThreshold[amount.currency] ?? policy.approvalThreshold.default ?? 0;
  if (amount.amount <= threshold) return false;
  const autoLimit = segment ? policy.autoApproveUpTo[segment] : undefined;
  return autoLimit === undefined || amount.amount > autoLimit;
}
