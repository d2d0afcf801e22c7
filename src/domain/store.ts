import { z } from 'zod';
import { CurrencySchema } from './money';

/** Sales regions; each store belongs to one and trades in its currency. */
export const RegionSchema = z.object({
  code: z.string().min(1),
  name: z.string(),
  currency: CurrencySchema,
});
export type Region = z.infer<typeof RegionSchema>;

export const StoreSchema = z.object({
  storeId: z.string().min(1),
  name: z.string(),
  region: z.string().min(1),
  /** The distribution center that fulfils the store's web orders. */
  warehouseId: z.string().min(1),
});
export type Store = z.infer<typeof StoreSchema>;

export const SalesChannelSchema = z.enum(['web', 'store', 'call-center', 'marketplace']);
export type SalesChannel = z.infer<typeof SalesChannelSchema>;
