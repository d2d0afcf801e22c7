import { z } from 'zod';
import { MoneySchema } from './money';
import { BusinessDateSchema, ErpSystemSchema } from './credit-memo';

/** One line of the general ledger; posting a credit memo debits sales returns and credits receivables. */
export const LedgerEntrySchema = z.object({
  entryId: z.string().min(1),
  system: ErpSystemSchema,
  account: z.string().min(1),
  side: z.enum(['debit', 'credit']),
  amount: MoneySchema,
  /** The document that caused it, e.g. the credit memo number. */
  reference: z.string().min(1),
  businessDate: BusinessDateSchema,
  postedAt: z.string().datetime(),
});
export type LedgerEntry = z.infer<typeof LedgerEntrySchema>;
