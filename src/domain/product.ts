import { z } from 'zod';
import { MoneySchema } from './money';

/** A product's current list price and whether it may be returned, as the ERP prices it. */
export const ProductPriceSchema = z.object({
  sku: z.string().min(1),
  name: z.string().optional(),
  unitPrice: MoneySchema,
  returnable: z.boolean(),
});
export type ProductPrice = z.infer<typeof ProductPriceSchema>;
