import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SystemContext } from '../../core/system';
import { errorBody, sendCloudError } from './errors';
import { InvalidCursorError, pageOf } from './paging';
import { decimal, listPriceKey, minor, nextNumber, pricingOf, type CloudErpState, type CloudListPrice, type CloudPromotion } from './state';

const Instant = z.iso.datetime({ offset: true }).transform((t) => new Date(t).toISOString());
const Amount = z.string().regex(/^\d+(\.\d{1,2})?$/, 'decimal string such as "12.34"').refine((a) => minor(a) > 0, 'must be positive');
const Currency = z.string().regex(/^[A-Z]{3}$/);
const skuList = (value: unknown) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : []);

const ChangesQuery = z.object({
  since: z.coerce.number().int().min(0),
  pageSize: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().optional(),
});
const AtQuery = z.object({ skus: z.string().min(1), at: Instant.optional() });

const PriceListInput = z.object({ listId: z.string().regex(/^[A-Z0-9-]{1,40}$/), name: z.string().min(1).max(80), currency: Currency, isDefault: z.boolean().default(false) });
const ListPriceInput = z
  .object({ unitPrice: Amount, effectiveFrom: Instant.optional(), effectiveTo: Instant.nullable().optional() })
  .refine((p) => !p.effectiveTo || !p.effectiveFrom || p.effectiveTo > p.effectiveFrom, 'effectiveTo must be after effectiveFrom');
const PromotionFields = z.object({
  name: z.string().min(1).max(80),
  skus: z.array(z.string().min(1)).min(1).max(200),
  currency: Currency.default('USD'),
  promotionalPrice: Amount.nullable().optional(),
  percentOff: z.number().int().min(1).max(90).nullable().optional(),
  startAt: Instant,
  endAt: Instant,
});
const PromotionInput = PromotionFields.extend({ promotionId: z.string().regex(/^[A-Z0-9-]{1,40}$/) });
const PromotionChange = PromotionFields.partial();

const issuesOf = (error: z.ZodError) => ({ issues: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
const effectiveAt = (p: CloudListPrice, at: string) => p.effectiveFrom <= at && (p.effectiveTo === null || at < p.effectiveTo);
const liveAt = (p: CloudPromotion, at: string) => p.status === 'ACTIVE' && p.startAt <= at && at < p.endAt;

/** A promotion's rule: exactly one of a fixed price and a percentage, and an end after its start. */
function promotionProblem(p: Pick<CloudPromotion, 'promotionalPrice' | 'percentOff' | 'startAt' | 'endAt'>): string | undefined {
  if ((p.promotionalPrice === null) === (p.percentOff === null)) return 'exactly one of promotionalPrice and percentOff is required';
  if (p.endAt <= p.startAt) return 'endAt must be after startAt';
  return undefined;
}

/**
 * Effective-dated price lists and promotions: reads for a moment, a change feed by watermark (every
 * record's latest change carries a rising changeSeq), and the admin surface where tests play the
 * ERP's pricing team.
 */
export function pricingRoutes(app: FastifyInstance, ctx: SystemContext<CloudErpState>): void {
  const pricing = () => pricingOf(ctx.store.data);
  const stamp = () => nextNumber(ctx.store.data, 'pricingChange');
  const bad = (reply: FastifyReply, message: string, details?: Record<string, unknown>) => sendCloudError(reply, 400, 'VALIDATION_ERROR', message, details);

  app.get('/api/v2/price-lists', async () => ({ data: Object.values(pricing().priceLists).sort((a, b) => a.listId.localeCompare(b.listId)) }));

  app.get<{ Params: { listId: string } }>('/api/v2/price-lists/:listId/prices', async (request, reply) => {
    const q = AtQuery.safeParse(request.query);
    if (!q.success) return bad(reply, 'skus is required (comma separated); at must be an ISO timestamp', issuesOf(q.error));
    if (!pricing().priceLists[request.params.listId]) return sendCloudError(reply, 404, 'PRICE_LIST_NOT_FOUND', `price list ${request.params.listId} does not exist`);
    const at = q.data.at ?? new Date().toISOString();
    const wanted = skuList(q.data.skus);
    const data = wanted.map((sku) => pricing().listPrices[listPriceKey(request.params.listId, sku)]).filter((p): p is CloudListPrice => p !== undefined && effectiveAt(p, at));
    return { at, data, unknownSkus: wanted.filter((sku) => !data.some((p) => p.sku === sku)) };
  });

  app.get<{ Params: { promotionId: string } }>('/api/v2/promotions/:promotionId', async (request, reply) => {
    const promotion = pricing().promotions[request.params.promotionId];
    if (!promotion) return sendCloudError(reply, 404, 'PROMOTION_NOT_FOUND', `promotion ${request.params.promotionId} does not exist`);
    return promotion;
  });

  // The promotions live at a moment for some SKUs (withdrawn ones never are).
  app.get('/api/v2/promotions', async (request, reply) => {
    const q = AtQuery.safeParse(request.query);
    if (!q.success) return bad(reply, 'skus is required (comma separated); at must be an ISO timestamp', issuesOf(q.error));
    const at = q.data.at ?? new Date().toISOString();
    const wanted = new Set(skuList(q.data.skus));
    const data = Object.values(pricing().promotions).filter((p) => liveAt(p, at) && p.skus.some((s) => wanted.has(s)));
    return { at, data: data.sort((a, b) => a.promotionId.localeCompare(b.promotionId)) };
  });

  // Every list price and promotion whose latest change is after the watermark, oldest change first.
  app.get('/api/v2/pricing/changes', async (request, reply) => {
    const q = ChangesQuery.safeParse(request.query);
    if (!q.success) return bad(reply, 'since (a changeSeq, 0 for everything) is required; pageSize 1..500', issuesOf(q.error));
    const changes = [
      ...Object.values(pricing().listPrices).filter((p) => p.changeSeq > q.data.since).map((price) => ({ changeSeq: price.changeSeq, kind: 'price' as const, price })),
      ...Object.values(pricing().promotions).filter((p) => p.changeSeq > q.data.since).map((promotion) => ({ changeSeq: promotion.changeSeq, kind: 'promotion' as const, promotion })),
    ];
    try {
      const page = pageOf(changes, (c) => String(c.changeSeq).padStart(12, '0'), q.data.pageSize, q.data.cursor, () => ctx.faults.repeatsCursor('GET', '/api/v2/pricing/changes'));
      return { ...page, watermark: ctx.store.data.counters.pricingChange ?? 0 };
    } catch (err) {
      if (err instanceof InvalidCursorError) return sendCloudError(reply, 400, 'INVALID_CURSOR', err.message);
      throw err;
    }
  });

  // Admin surface: the ERP's pricing team at work.
  app.post('/__sandbox/erp/price-lists', async (request, reply) => {
    const input = PriceListInput.safeParse(request.body ?? {});
    if (!input.success) return bad(reply, 'invalid price list', issuesOf(input.error));
    if (pricing().priceLists[input.data.listId]) return reply.code(409).send(errorBody('PRICE_LIST_EXISTS', `price list ${input.data.listId} already exists`));
    if (input.data.isDefault) return reply.code(409).send(errorBody('DEFAULT_PRICE_LIST_EXISTS', 'the ERP has one default price list'));
    const list = { ...input.data, createdAt: new Date().toISOString() };
    pricing().priceLists[list.listId] = list;
    ctx.store.changed();
    ctx.record({ kind: 'priceList.created', ref: list.listId });
    return reply.code(201).send(list);
  });

  app.put<{ Params: { listId: string; sku: string } }>('/__sandbox/erp/price-lists/:listId/prices/:sku', async (request, reply) => {
    const { listId, sku } = request.params;
    const list = pricing().priceLists[listId];
    if (!list) return reply.code(404).send(errorBody('PRICE_LIST_NOT_FOUND', `price list ${listId} does not exist`));
    if (!ctx.store.data.products[sku]) return reply.code(404).send(errorBody('SKU_NOT_FOUND', `sku ${sku} does not exist`));
    const input = ListPriceInput.safeParse(request.body ?? {});
    if (!input.success) return bad(reply, 'invalid price', issuesOf(input.error));
    const now = new Date().toISOString();
    const before = pricing().listPrices[listPriceKey(listId, sku)];
    const price: CloudListPrice = {
      listId,
      sku,
      unitPrice: decimal(minor(input.data.unitPrice)),
      currency: list.currency,
      effectiveFrom: input.data.effectiveFrom ?? before?.effectiveFrom ?? now,
      effectiveTo: input.data.effectiveTo === undefined ? (before?.effectiveTo ?? null) : input.data.effectiveTo,
      version: (before?.version ?? 0) + 1,
      changeSeq: stamp(),
      updatedAt: now,
    };
    if (price.effectiveTo !== null && price.effectiveTo <= price.effectiveFrom) return bad(reply, 'effectiveTo must be after effectiveFrom');
    pricing().listPrices[listPriceKey(listId, sku)] = price;
    // The current list price the product lookup answers follows the default list.
    if (list.isDefault && effectiveAt(price, now)) ctx.store.data.products[sku].unitPrice = price.unitPrice;
    ctx.store.changed();
    ctx.record({ kind: 'listPrice.changed', ref: listPriceKey(listId, sku), data: { unitPrice: price.unitPrice, version: price.version } });
    return price;
  });

  app.post('/__sandbox/erp/promotions', async (request, reply) => {
    const input = PromotionInput.safeParse(request.body ?? {});
    if (!input.success) return bad(reply, 'invalid promotion', issuesOf(input.error));
    if (pricing().promotions[input.data.promotionId]) return reply.code(409).send(errorBody('PROMOTION_EXISTS', `promotion ${input.data.promotionId} already exists`));
    const unknown = input.data.skus.filter((s) => !ctx.store.data.products[s]);
    if (unknown.length) return reply.code(422).send(errorBody('SKU_NOT_FOUND', `unknown skus: ${unknown.join(', ')}`));
    const now = new Date().toISOString();
    const promotion: CloudPromotion = {
      ...input.data,
      skus: [...new Set(input.data.skus)],
      promotionalPrice: input.data.promotionalPrice ? decimal(minor(input.data.promotionalPrice)) : null,
      percentOff: input.data.percentOff ?? null,
      status: 'ACTIVE',
      version: 1,
      changeSeq: stamp(),
      updatedAt: now,
    };
    const problem = promotionProblem(promotion);
    if (problem) return bad(reply, problem);
    pricing().promotions[promotion.promotionId] = promotion;
    ctx.store.changed();
    ctx.record({ kind: 'promotion.created', ref: promotion.promotionId, data: { startAt: promotion.startAt, endAt: promotion.endAt } });
    return reply.code(201).send(promotion);
  });

  app.patch<{ Params: { promotionId: string } }>('/__sandbox/erp/promotions/:promotionId', async (request, reply) => {
    const promotion = pricing().promotions[request.params.promotionId];
    if (!promotion) return reply.code(404).send(errorBody('PROMOTION_NOT_FOUND', `promotion ${request.params.promotionId} does not exist`));
    if (promotion.status === 'WITHDRAWN') return reply.code(409).send(errorBody('PROMOTION_WITHDRAWN', `promotion ${promotion.promotionId} was withdrawn`));
    const input = PromotionChange.safeParse(request.body ?? {});
    if (!input.success) return bad(reply, 'invalid promotion change', issuesOf(input.error));
    const unknown = (input.data.skus ?? []).filter((s) => !ctx.store.data.products[s]);
    if (unknown.length) return reply.code(422).send(errorBody('SKU_NOT_FOUND', `unknown skus: ${unknown.join(', ')}`));
    const next: CloudPromotion = { ...promotion, ...input.data, skus: input.data.skus ? [...new Set(input.data.skus)] : promotion.skus };
    if (input.data.promotionalPrice !== undefined) next.promotionalPrice = input.data.promotionalPrice ? decimal(minor(input.data.promotionalPrice)) : null;
    if (input.data.percentOff !== undefined) next.percentOff = input.data.percentOff;
    const problem = promotionProblem(next);
    if (problem) return bad(reply, problem);
    Object.assign(next, { version: promotion.version + 1, changeSeq: stamp(), updatedAt: new Date().toISOString() });
    pricing().promotions[promotion.promotionId] = next;
    ctx.store.changed();
    ctx.record({ kind: 'promotion.changed', ref: promotion.promotionId, data: { version: next.version, startAt: next.startAt, endAt: next.endAt } });
    return next;
  });

  app.post<{ Params: { promotionId: string } }>('/__sandbox/erp/promotions/:promotionId/withdraw', async (request, reply) => {
    const promotion = pricing().promotions[request.params.promotionId];
    if (!promotion) return reply.code(404).send(errorBody('PROMOTION_NOT_FOUND', `promotion ${request.params.promotionId} does not exist`));
    // Withdrawing twice changes nothing: the first one already took it off sale.
    if (promotion.status === 'ACTIVE') {
      Object.assign(promotion, { status: 'WITHDRAWN', version: promotion.version + 1, changeSeq: stamp(), updatedAt: new Date().toISOString() });
      ctx.store.changed();
      ctx.record({ kind: 'promotion.withdrawn', ref: promotion.promotionId, data: { version: promotion.version } });
    }
    return promotion;
  });
}
