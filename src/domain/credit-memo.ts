import { z } from 'zod';
import { MoneySchema } from './money';

/** Which ERP holds a record: finance may live in the legacy ERP while everything else is in the cloud. */
export const ErpSystemSchema = z.enum(['cloud', 'legacy']);
export type ErpSystem = z.infer<typeof ErpSystemSchema>;

/** Business dates are plain calendar dates (YYYY-MM-DD), the unit reconciliation works in. */
export const BusinessDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');
export type BusinessDate = z.infer<typeof BusinessDateSchema>;

export const CreditMemoStatusSchema = z.enum(['draft', 'posted', 'void']);
export type CreditMemoStatus = z.infer<typeof CreditMemoStatusSchema>;

export const DraftCreditMemoRequestSchema = z.object({
  customerId: z.string().min(1),
  orderNumber: z.string().min(1),
  amount: MoneySchema.refine((m) => m.amount > 0, 'a credit memo credits a positive amount'),
  reason: z.string().min(1),
  businessDate: BusinessDateSchema.optional(),
  /** Case or refund the memo belongs to, for reconciliation. */
  reference: z.string().optional(),
  /** The order lines credited, so the ERP knows what is left to refund on each. */
  lines: z.array(z.object({ lineNumber: z.number().int().positive(), quantity: z.number().int().positive() })).optional(),
});
export type DraftCreditMemoRequest = z.infer<typeof DraftCreditMemoRequestSchema>;

export const CreditMemoSchema = z.object({
  /** Canonical id "<system>:<number>", so post and void reach the ERP that holds the memo. */
  creditMemoId: z.string().regex(/^(cloud|legacy):.+$/),
  system: ErpSystemSchema,
  /** The memo number inside its ERP. */
  number: z.string().min(1),
  customerId: z.string().min(1),
  orderNumber: z.string().min(1),
  amount: MoneySchema,
  reason: z.string().optional(),
  reference: z.string().optional(),
  status: CreditMemoStatusSchema,
  businessDate: BusinessDateSchema,
});
export type CreditMemo = z.infer<typeof CreditMemoSchema>;

export function creditMemoId(system: ErpSystem, number: string): string {
  return `${system}:${number}`;
}

/** "legacy:CM700001" → { system: 'legacy', number: 'CM700001' }; anything else is a caller error. */
export function parseCreditMemoId(id: string): { system: ErpSystem; number: string } | undefined {
  const match = /^(cloud|legacy):(.+)$/.exec(id);
  return match ? { system: match[1] as ErpSystem, number: match[2] } : undefined;
}
