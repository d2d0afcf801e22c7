import { z } from 'zod';
import type { Config } from '../../config';
import { fromDecimal } from '../../domain/money';
import { NonRetryableDownstreamError } from '../../domain/errors';
import type { ListPrice, PriceList, PricingChangePage, Promotion } from '../../domain/pricing';
import { breakerOptionsFromConfig } from '../shared/breaker';
import type { HttpSystem } from '../shared/http';
import { repeatedCursorError } from '../shared/paging';
import { cloudErpHttp, type CloudErpOptions } from './cloud-adapter';

/** The cloud ERP's pricing API (price lists, promotions, the change feed) on the wire, and its mapping to the canonical model. */
const Decimal = z.string().regex(/^\d+(\.\d{1,2})?$/);
const Timestamp = z.string().datetime({ offset: true });
const CloudPriceList = z.object({ listId: z.string(), name: z.string(), currency: z.string(), isDefault: z.boolean() });
const CloudListPrice = z.object({ listId: z.string(), sku: z.string(), unitPrice: Decimal, currency: z.string(), effectiveFrom: Timestamp, effectiveTo: Timestamp.nullable(), version: z.number().int().positive() });
const CloudPromotion = z.object({
  promotionId: z.string(),
  name: z.string(),
  skus: z.array(z.string()).min(1),
  currency: z.string(),
  promotionalPrice: Decimal.nullable(),
  percentOff: z.number().int().nullable(),
  startAt: Timestamp,
  endAt: Timestamp,
  status: z.enum(['ACTIVE', 'WITHDRAWN']),
  version: z.number().int().positive(),
});
const CloudChange = z.discriminatedUnion('kind', [
  z.object({ changeSeq: z.number().int().positive(), kind: z.literal('price'), price: CloudListPrice }),
  z.object({ changeSeq: z.number().int().positive(), kind: z.literal('promotion'), promotion: CloudPromotion }),
]);
const CloudChangePage = z.object({ data: z.array(CloudChange), nextCursor: z.string().nullable(), watermark: z.number().int().nonnegative() });

const iso = (t: string) => new Date(t).toISOString();

const toListPrice = (p: z.infer<typeof CloudListPrice>): ListPrice => ({
  listId: p.listId,
  sku: p.sku,
  unitPrice: fromDecimal(p.unitPrice, p.currency),
  effectiveFrom: iso(p.effectiveFrom),
  ...(p.effectiveTo ? { effectiveTo: iso(p.effectiveTo) } : {}),
  version: p.version,
});

const toPromotion = (p: z.infer<typeof CloudPromotion>): Promotion => ({
  promotionId: p.promotionId,
  name: p.name,
  skus: p.skus,
  currency: p.currency,
  ...(p.promotionalPrice ? { promotionalPrice: fromDecimal(p.promotionalPrice, p.currency) } : {}),
  ...(p.percentOff !== null ? { percentOff: p.percentOff } : {}),
  startAt: iso(p.startAt),
  endAt: iso(p.endAt),
  status: p.status === 'ACTIVE' ? 'active' : 'withdrawn',
  version: p.version,
});

/** The ERP's prices and promotions. Reads only: the ERP's pricing team owns them. */
export class ErpPricingConnector {
  readonly http: HttpSystem;

  constructor(options: Omit<CloudErpOptions, 'pageSize'>) {
    this.http = cloudErpHttp(options);
  }

  async listPriceLists(): Promise<PriceList[]> {
    const res = await this.http.request({ operation: 'listPriceLists', method: 'GET', url: '/api/v2/price-lists', schema: z.object({ data: z.array(CloudPriceList) }) });
    return res.data;
  }

  /** The default list's prices of the SKUs in force at `at` (a SKU without one is absent). */
  async getDefaultPrices(skus: string[], at: string): Promise<ListPrice[]> {
    const list = (await this.listPriceLists()).find((l) => l.isDefault);
    if (!list) throw new NonRetryableDownstreamError('BusinessRejectionError', { system: 'erp', operation: 'getDefaultPrices', code: 'NO_DEFAULT_PRICE_LIST', message: 'the ERP has no default price list' });
    return this.getListPrices(list.listId, skus, at);
  }

  async getListPrices(listId: string, skus: string[], at: string): Promise<ListPrice[]> {
    const res = await this.http.request({
      operation: 'getListPrices',
      method: 'GET',
      url: `/api/v2/price-lists/${encodeURIComponent(listId)}/prices`,
      params: { skus: skus.join(','), at },
      schema: z.object({ data: z.array(CloudListPrice) }),
    });
    return res.data.map(toListPrice);
  }

  async getPromotion(promotionId: string): Promise<Promotion> {
    return toPromotion(await this.http.request({ operation: 'getPromotion', method: 'GET', url: `/api/v2/promotions/${encodeURIComponent(promotionId)}`, schema: CloudPromotion }));
  }

  /** Promotions live at `at` for any of the SKUs. */
  async listLivePromotions(skus: string[], at: string): Promise<Promotion[]> {
    const res = await this.http.request({ operation: 'listLivePromotions', method: 'GET', url: '/api/v2/promotions', params: { skus: skus.join(','), at }, schema: z.object({ data: z.array(CloudPromotion) }) });
    return res.data.map(toPromotion);
  }

  /** One page of the change feed after the watermark (the caller pages and keeps the watermark). */
  async listPricingChanges(query: { since: number; pageSize?: number; cursor?: string }): Promise<PricingChangePage> {
    const page = await this.http.request({ operation: 'listPricingChanges', method: 'GET', url: '/api/v2/pricing/changes', params: { since: query.since, pageSize: query.pageSize ?? 200, cursor: query.cursor }, schema: CloudChangePage });
    if (query.cursor && page.nextCursor === query.cursor) throw repeatedCursorError('erp', 'listPricingChanges', query.cursor);
    return {
      changes: page.data.map((c) => (c.kind === 'price' ? { changeSeq: c.changeSeq, kind: 'price' as const, price: toListPrice(c.price) } : { changeSeq: c.changeSeq, kind: 'promotion' as const, promotion: toPromotion(c.promotion) })),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  shutdown(): void {
    this.http.shutdown();
  }
}

export function createErpPricingConnector(config: Config): ErpPricingConnector {
  return new ErpPricingConnector({ baseUrl: config.erp.cloudUrl, apiKey: config.erp.cloudApiKey, timeoutMs: config.downstream.timeoutMs, breaker: breakerOptionsFromConfig(config.downstream) });
}
