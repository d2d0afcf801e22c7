import type { ErpPricingConnector } from '../connectors/erp';
import type { ListPriceBook, PriceEntryUpdate, PromotionBook, SalesforceConnector } from '../connectors/salesforce';
import { asActivity } from './failures';

/** Reads of the ERP's prices and promotions (sys-erp queue): the change feed and what a promotion's activation checks. */
export function createErpPricingActivities(pricing: ErpPricingConnector) {
  return {
    async listErpPricingChanges(query: { since: number; pageSize?: number; cursor?: string }) {
      return asActivity(() => pricing.listPricingChanges(query));
    },
    async listErpPriceLists() {
      return asActivity(() => pricing.listPriceLists());
    },
    async getErpDefaultPrices(skus: string[], at: string) {
      return asActivity(() => pricing.getDefaultPrices(skus, at));
    },
    async getErpPromotion(promotionId: string) {
      return asActivity(() => pricing.getPromotion(promotionId));
    },
  };
}
export type ErpPricingActivities = ReturnType<typeof createErpPricingActivities>;

/** Price books and entries in Salesforce (sys-salesforce queue), every write an upsert by the ERP's key. */
export function createSalesforcePricingActivities(sf: SalesforceConnector) {
  return {
    async upsertSalesforceListPriceBooks(books: ListPriceBook[]) {
      return asActivity(() => sf.upsertListPriceBooks(books));
    },
    async upsertSalesforcePriceEntries(entries: PriceEntryUpdate[]) {
      return asActivity(() => sf.upsertPriceEntries(entries));
    },
    async upsertSalesforcePromotionPriceBook(book: PromotionBook) {
      return asActivity(() => sf.upsertPromotionPriceBook(book));
    },
  };
}
export type SalesforcePricingActivities = ReturnType<typeof createSalesforcePricingActivities>;
