import { z } from 'zod';
import { MoneySchema } from '../../domain/money';

/** Which price book an entry belongs to: the org's standard book, an ERP price list's book, or a promotion's book. */
export const PriceBookRefSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('standard') }),
  z.object({ kind: z.literal('list'), listId: z.string().min(1) }),
  z.object({ kind: z.literal('promotion'), promotionId: z.string().min(1) }),
]);
export type PriceBookRef = z.infer<typeof PriceBookRefSchema>;

/** One PricebookEntry, upserted by ERP_Price_Key__c. */
export const PriceEntryUpdateSchema = z.object({
  key: z.string().min(1).max(255),
  book: PriceBookRefSchema,
  sku: z.string().min(1),
  unitPrice: MoneySchema,
  active: z.boolean(),
  effectiveFrom: z.iso.datetime({ offset: true }).optional(),
  effectiveTo: z.iso.datetime({ offset: true }).optional(),
  version: z.number().int().nonnegative(),
});
export type PriceEntryUpdate = z.infer<typeof PriceEntryUpdateSchema>;

/** A custom price book of an ERP price list, upserted by ERP_Price_List_Id__c. */
export const ListPriceBookSchema = z.object({ listId: z.string().min(1), name: z.string().min(1).max(255), active: z.boolean() });
export type ListPriceBook = z.infer<typeof ListPriceBookSchema>;

export const PromotionBookStatusSchema = z.enum(['Scheduled', 'Live', 'Ended', 'Withdrawn']);

/** A promotion's price book, upserted by ERP_Promotion_Id__c: active only while the promotion is live. */
export const PromotionBookSchema = z.object({
  promotionId: z.string().min(1),
  name: z.string().min(1).max(255),
  active: z.boolean(),
  status: PromotionBookStatusSchema,
  startAt: z.iso.datetime({ offset: true }),
  endAt: z.iso.datetime({ offset: true }),
  version: z.number().int().positive(),
});
export type PromotionBook = z.infer<typeof PromotionBookSchema>;

export interface PriceEntryResult {
  /** Per entry, in the order sent. */
  results: { key: string; ok: boolean; created?: boolean; errorCode?: string; message?: string }[];
  writtenAt: string;
}

export const ExistingEntryRecordSchema = z.object({ Id: z.string(), ERP_Price_Key__c: z.string() });
export const StandardBookRecordSchema = z.object({ Id: z.string() });

const bookReference = (book: PriceBookRef, standardBookId: string): Record<string, unknown> => {
  if (book.kind === 'standard') return { Pricebook2Id: standardBookId };
  if (book.kind === 'list') return { Pricebook2: { attributes: { type: 'Pricebook2' }, ERP_Price_List_Id__c: book.listId } };
  return { Pricebook2: { attributes: { type: 'Pricebook2' }, ERP_Promotion_Id__c: book.promotionId } };
};

/**
 * One collections record. Book, product and currency are set when the entry is created and are
 * read-only afterwards (Salesforce refuses them on update), so an existing entry is sent without them.
 */
export function fromPriceEntry(entry: PriceEntryUpdate, exists: boolean, standardBookId: string): Record<string, unknown> {
  return {
    attributes: { type: 'PricebookEntry' },
    ERP_Price_Key__c: entry.key,
    ...(exists ? {} : { ...bookReference(entry.book, standardBookId), Product2: { attributes: { type: 'Product2' }, StockKeepingUnit: entry.sku }, CurrencyIsoCode: entry.unitPrice.currency }),
    UnitPrice: entry.unitPrice.amount / 100,
    IsActive: entry.active,
    Effective_From__c: entry.effectiveFrom ?? null,
    Effective_To__c: entry.effectiveTo ?? null,
    ERP_Version__c: entry.version,
  };
}

export function fromPromotionBook(book: PromotionBook): Record<string, unknown> {
  return {
    Name: `Promotion: ${book.name}`.slice(0, 255),
    IsActive: book.active,
    Promotion_Status__c: book.status,
    Promotion_Start__c: book.startAt,
    Promotion_End__c: book.endAt,
    ERP_Version__c: book.version,
  };
}
