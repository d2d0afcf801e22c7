import { z } from 'zod';
import { CurrencySchema, MoneySchema, type Money } from './money';

/** Prices and promotions as the ERP (the system of record) publishes them; Salesforce gets a copy. */

const Instant = z.iso.datetime({ offset: true });
const PricingId = z.string().regex(/^[A-Za-z0-9-]{1,40}$/, 'letters, digits and dashes, at most 40');

export const PriceListSchema = z.object({
  listId: PricingId,
  name: z.string().min(1),
  currency: CurrencySchema,
  /** The list price of every product: Salesforce's standard price book. */
  isDefault: z.boolean(),
});
export type PriceList = z.infer<typeof PriceListSchema>;

/** One SKU's price on one list, effective from/to (open-ended without effectiveTo); version counts its changes at the ERP. */
export const ListPriceSchema = z.object({
  listId: PricingId,
  sku: z.string().min(1).max(64),
  unitPrice: MoneySchema,
  effectiveFrom: Instant,
  effectiveTo: Instant.optional(),
  version: z.number().int().positive(),
});
export type ListPrice = z.infer<typeof ListPriceSchema>;

export const PromotionStatusSchema = z.enum(['active', 'withdrawn']);

/** A fixed promotional price or a percentage off the default list price, live from startAt until endAt unless withdrawn. */
export const PromotionSchema = z
  .object({
    promotionId: PricingId,
    name: z.string().min(1),
    skus: z.array(z.string().min(1).max(64)).min(1).max(200),
    currency: CurrencySchema,
    promotionalPrice: MoneySchema.optional(),
    percentOff: z.number().int().min(1).max(90).optional(),
    startAt: Instant,
    endAt: Instant,
    status: PromotionStatusSchema,
    version: z.number().int().positive(),
  })
  .refine((p) => (p.promotionalPrice === undefined) !== (p.percentOff === undefined), 'exactly one of promotionalPrice and percentOff')
  .refine((p) => Date.parse(p.endAt) > Date.parse(p.startAt), 'endAt must be after startAt');
export type Promotion = z.infer<typeof PromotionSchema>;

/** One entry of the ERP's change feed: a record at its latest change, ordered by changeSeq (the watermark). */
export type PricingChange = { changeSeq: number } & ({ kind: 'price'; price: ListPrice } | { kind: 'promotion'; promotion: Promotion });

export interface PricingChangePage {
  changes: PricingChange[];
  nextCursor?: string;
}

export const isEffectiveAt = (price: Pick<ListPrice, 'effectiveFrom' | 'effectiveTo'>, at: number): boolean =>
  Date.parse(price.effectiveFrom) <= at && (price.effectiveTo === undefined || at < Date.parse(price.effectiveTo));

/** The promotion's price of a SKU: its fixed price, or the list price less the percentage (rounded to the minor unit). */
export function promotionalUnitPrice(promotion: Pick<Promotion, 'promotionalPrice' | 'percentOff'>, listPrice: Money): Money {
  if (promotion.promotionalPrice) return promotion.promotionalPrice;
  return { amount: Math.round((listPrice.amount * (100 - (promotion.percentOff ?? 0))) / 100), currency: listPrice.currency };
}

/** The external ids the Salesforce copy is upserted by (PricebookEntry.ERP_Price_Key__c). */
export const listPriceKey = (listId: string, sku: string): string => `${listId}:${sku}`;
export const promotionPriceKey = (promotionId: string, sku: string): string => `promotion:${promotionId}:${sku}`;
