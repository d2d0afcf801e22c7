import { allHandlersFinished, condition, continueAsNew, isCancellation, log, setHandler, workflowInfo } from '@temporalio/workflow';
import type { SalesforcePricingActivities } from '../activities/pricing';
import type { StockAvailability } from '../domain/inventory';
import { z } from 'zod';
import type { Money } from '../domain/money';
import { promotionPriceKey, promotionalUnitPrice, type ListPrice, type Promotion } from '../domain/pricing';
import { createAlerter, type Alert } from './lib/alerts';
import { parseInput } from './lib/case-facts';
import { failureType, untilSucceeded } from './lib/persistent';
import { resolveQueues, type SystemQueues } from './lib/queues';
import { pricingActivities } from './pricing/activities';
import { promotionChangedSignal, promotionStateQuery, resolvePricingSettings, type PricingSettingsInput, type PromotionPhase, type PromotionState } from './pricing/definitions';

/**
 * promotion (promotion/{promotionId}): one ERP promotion's life in Salesforce. Its price book is
 * created inactive at once; at the start time (a durable timer) it goes live only when the ERP has a
 * list price in force and stock available for every SKU and Salesforce accepted every promotional
 * entry (which needs the standard price first): otherwise it is held and re-checked, with a bounded
 * backoff or when the ERP changes it, and never goes live early. It goes inactive at the end time,
 * and at once when the ERP withdraws it. A change of dates before the start reschedules it.
 */

export { promotionChangedSignal, promotionStateQuery, promotionWorkflowId } from './pricing/definitions';
export type { PromotionState, PromotionPhase } from './pricing/definitions';

type PriceEntryResult = Awaited<ReturnType<SalesforcePricingActivities['upsertSalesforcePriceEntries']>>;

export interface PromotionInput {
  promotionId: string;
  settings?: PricingSettingsInput;
  taskQueues?: Partial<SystemQueues>;
  /** The previous run's state (continue-as-new): its phase, the entries it sold and its re-check backoff. */
  carried?: { state: PromotionState; pricesSold: [string, { sku: string; unitPrice: Money }][]; backoff: number };
}

// The carried state is this workflow's own (continue-as-new); only its shape is checked.
const PromotionInputSchema = z.object({
  promotionId: z.string().regex(/^[A-Za-z0-9-]{1,40}$/),
  settings: z.object({}).loose().optional(),
  taskQueues: z.record(z.string(), z.string().min(1)).optional(),
  carried: z.object({ state: z.object({ phase: z.string() }).loose(), pricesSold: z.array(z.tuple([z.string(), z.object({}).loose()])), backoff: z.number().positive() }).optional(),
});

export async function promotion(input: PromotionInput): Promise<PromotionState> {
  parseInput(PromotionInputSchema, input, 'promotion input');
  const settings = resolvePricingSettings(input.settings);
  const queues = resolveQueues(input.taskQueues);
  const systems = pricingActivities(queues);
  const alerts: Alert[] = [];
  const alert = createAlerter({ salesforceQueue: queues.salesforce, alerts });

  let current: Promotion = await systems.erp.getErpPromotion(input.promotionId);
  const state: PromotionState = input.carried
    ? { ...input.carried.state, version: Math.max(input.carried.state.version, current.version), startAt: current.startAt, endAt: current.endAt }
    : { promotionId: current.promotionId, version: current.version, phase: 'scheduled', startAt: current.startAt, endAt: current.endAt, checks: 0 };
  let signalled = 0;
  /** The promotional entries written to Salesforce and their prices (to switch off, unchanged, when it ends). */
  const pricesSold = new Map<string, { sku: string; unitPrice: Money }>(input.carried?.pricesSold ?? []);
  const historyIsLarge = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= settings.maxHistoryEvents;

  setHandler(promotionChangedSignal, ({ version }) => {
    // An older version than the one held is a late delivery: the ERP has already moved on.
    if (version === undefined || version > state.version) signalled += 1;
  });
  setHandler(promotionStateQuery, () => ({ ...state }));

  /** Waits until the time passes or the ERP changes the promotion; true when it changed. */
  const waitFor = async (ms: number): Promise<boolean> => {
    const seen = signalled;
    return condition(() => signalled > seen, Math.max(1, ms));
  };
  const reread = async () => {
    const fresh = await systems.erp.getErpPromotion(input.promotionId);
    if (fresh.version < current.version) return;
    current = fresh;
    Object.assign(state, { version: fresh.version, startAt: fresh.startAt, endAt: fresh.endAt });
  };
  const writeBook = async (phase: PromotionPhase) => {
    const status = ({ scheduled: 'Scheduled', held: 'Scheduled', live: 'Live', ended: 'Ended', withdrawn: 'Withdrawn' } as const)[phase];
    const book = { promotionId: current.promotionId, name: current.name, active: phase === 'live', status, startAt: current.startAt, endAt: current.endAt, version: current.version };
    await untilSucceeded('salesforce-promotion-book', (p) => systems.salesforce[p].upsertSalesforcePromotionPriceBook.executeWithOptions({ summary: `Salesforce: promotion ${current.promotionId} ${status}` }, [book]), alert);
    state.phase = phase;
  };

  /** Why it cannot go live now, or undefined once every SKU has its list price, its stock and its Salesforce entry. */
  const tryActivate = async (): Promise<string | undefined> => {
    state.checks += 1;
    const at = new Date().toISOString();
    let prices: ListPrice[];
    let stock: StockAvailability[];
    try {
      [prices, stock] = await Promise.all([systems.erp.getErpDefaultPrices(current.skus, at), systems.erp.getStockAvailability(current.skus)]);
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The ERP refused the check (no default list, an unknown SKU): held, never live on a guess.
      return `the ERP refused the check (${failureType(err) ?? 'error'})`;
    }
    const unpriced = current.skus.filter((sku) => !prices.some((p) => p.sku === sku));
    if (unpriced.length) return `no ERP list price in force for ${unpriced.join(', ')}`;
    const outOfStock = current.skus.filter((sku) => stock.filter((s) => s.sku === sku).reduce((sum, s) => sum + s.available, 0) <= 0);
    if (outOfStock.length) return `no stock available for ${outOfStock.join(', ')}`;
    const entries = current.skus.map((sku) => ({
      key: promotionPriceKey(current.promotionId, sku),
      book: { kind: 'promotion' as const, promotionId: current.promotionId },
      sku,
      unitPrice: promotionalUnitPrice(current, prices.find((p) => p.sku === sku)!.unitPrice),
      active: true,
      effectiveFrom: current.startAt,
      effectiveTo: current.endAt,
      version: current.version,
    }));
    let answer: PriceEntryResult;
    try {
      answer = await untilSucceeded('salesforce-promotion-entries', (p) => systems.salesforce[p].upsertSalesforcePriceEntries(entries), alert);
    } catch (err) {
      if (isCancellation(err)) throw err;
      return `Salesforce refused the promotional prices (${failureType(err) ?? 'error'})`;
    }
    answer.results.forEach((r, i) => r.ok && pricesSold.set(r.key, { sku: entries[i].sku, unitPrice: entries[i].unitPrice }));
    const refused = answer.results.filter((r) => !r.ok);
    // Salesforce refuses a promotional price until the list price reached its standard book.
    if (refused.length) return `Salesforce refused ${refused.map((r) => `${r.key} (${r.errorCode ?? 'error'})`).join(', ')}`;
    return undefined;
  };

  const deactivate = async (phase: 'ended' | 'withdrawn') => {
    await writeBook(phase);
    if (pricesSold.size) {
      const book = { kind: 'promotion' as const, promotionId: current.promotionId };
      const entries = [...pricesSold].map(([key, sold]) => ({ key, book, sku: sold.sku, unitPrice: sold.unitPrice, active: false, version: current.version }));
      await untilSucceeded('salesforce-promotion-entries-off', (p) => systems.salesforce[p].upsertSalesforcePriceEntries(entries), alert);
    }
    state.deactivatedAt = new Date().toISOString();
  };

  // A continued run keeps the phase Salesforce already shows (it re-read the ERP's terms above).
  if (!input.carried) await writeBook('scheduled');
  let backoff = input.carried?.backoff ?? settings.recheckInitialMs;
  for (;;) {
    // A promotion held for weeks re-checks hundreds of times: a new run before the history limit.
    if (historyIsLarge()) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof promotion>({ ...input, carried: { state: { ...state }, pricesSold: [...pricesSold], backoff } });
    }
    if (current.status === 'withdrawn') {
      await deactivate('withdrawn');
      return state;
    }
    const now = Date.now();
    const start = Date.parse(current.startAt);
    const end = Date.parse(current.endAt);
    if (now >= end) {
      await deactivate('ended');
      return state;
    }
    if (state.phase !== 'live' && now < start) {
      // A durable timer to the start; a change of dates meanwhile re-reads and reschedules.
      if (await waitFor(start - now)) {
        await reread();
        await writeBook('scheduled');
      }
      continue;
    }
    if (state.phase !== 'live') {
      const heldBecause = await tryActivate();
      if (heldBecause === undefined) {
        delete state.heldBecause;
        state.activatedAt = new Date().toISOString();
        await writeBook('live');
        continue;
      }
      if (state.phase !== 'held' || state.heldBecause !== heldBecause) log.warn('promotion held', { promotionId: current.promotionId, heldBecause });
      state.heldBecause = heldBecause;
      if (state.phase !== 'held') await writeBook('held');
      if (await waitFor(Math.min(backoff, end - now))) await reread();
      backoff = Math.min(backoff * 2, settings.recheckMaxMs);
      continue;
    }
    // Live: until the end, or until the ERP changes it (new dates, new prices, withdrawal).
    if (await waitFor(end - now)) {
      const before = current;
      await reread();
      if (current.status !== 'active') continue;
      if (Date.now() < Date.parse(current.startAt)) {
        await writeBook('scheduled'); // postponed: off sale until its new start
      } else if (before.promotionalPrice?.amount !== current.promotionalPrice?.amount || before.percentOff !== current.percentOff || before.skus.join() !== current.skus.join()) {
        // Off sale in Salesforce until the new terms pass the re-check: never live on the old ones.
        state.heldBecause = 'the ERP changed its terms: re-checking price and stock';
        await writeBook('held');
      } else await writeBook('live');
    }
  }
}
