import type { SalesforcePricingActivities } from '../../activities/pricing';
import { isEffectiveAt, listPriceKey, type ListPrice } from '../../domain/pricing';
import type { PricingFeedState } from './definitions';

/** What a PricebookEntry is upserted with (by ERP_Price_Key__c). */
type PriceEntryUpdate = Parameters<SalesforcePricingActivities['upsertSalesforcePriceEntries']>[0][number];

export function emptyFeedState(): PricingFeedState {
  return { watermark: 0, versions: {}, pending: {}, scheduled: {}, lists: {}, promotions: {}, unknownLists: {}, counts: { pricesApplied: 0, ignored: 0, written: 0, refused: 0, polls: 0, promotionsNotified: 0, malformed: 0, droppedUnknownList: 0 }, refusals: [], continuedAsNew: 0 };
}

/**
 * The feed's list prices: a change newer than the version held becomes pending (duplicates and late
 * arrivals are ignored), pending prices become PricebookEntry upserts (the default list's first, as
 * a custom book's entry needs the standard one), and written prices with a date still ahead come
 * back when it passes.
 */
export class PriceFold {
  constructor(readonly state: PricingFeedState) {}

  receive(price: ListPrice): boolean {
    const key = listPriceKey(price.listId, price.sku);
    if ((this.state.versions[key] ?? 0) >= price.version) {
      this.state.counts.ignored += 1;
      return false;
    }
    this.state.versions[key] = price.version;
    this.state.pending[key] = price;
    delete this.state.scheduled[key];
    this.state.counts.pricesApplied += 1;
    return true;
  }

  /** Drops the pending prices of a list the ERP does not know (and their versions, so a resend applies once it does); how many. */
  dropList(listId: string): number {
    const keys = Object.keys(this.state.pending).filter((key) => this.state.pending[key].listId === listId);
    for (const key of keys) {
      delete this.state.pending[key];
      delete this.state.versions[key];
    }
    return keys.length;
  }

  /** Written prices whose start or end has passed since they were written go back to pending. */
  due(now: number): void {
    for (const [key, price] of Object.entries(this.state.scheduled)) {
      if (isEffectiveAt(price, now) === price.writtenActive) continue;
      const { writtenActive: _, ...rest } = price;
      this.state.pending[key] = rest;
      delete this.state.scheduled[key];
    }
  }

  /** The price lists pending prices name whose price book is not in Salesforce yet (unknown, or refused before). */
  listsWithoutBook(): string[] {
    return [...new Set(Object.values(this.state.pending).map((p) => p.listId))].filter((id) => !this.state.lists[id]?.bookWritten);
  }

  /** The pending prices of known lists as upserts, the default list's first. */
  pendingUpdates(now: number): PriceEntryUpdate[] {
    const isDefault = (p: ListPrice) => this.state.lists[p.listId]?.isDefault === true;
    return Object.values(this.state.pending)
      .filter((p) => this.state.lists[p.listId])
      .sort((a, b) => Number(isDefault(b)) - Number(isDefault(a)))
      .map((p) => ({
        key: listPriceKey(p.listId, p.sku),
        book: isDefault(p) ? { kind: 'standard' as const } : { kind: 'list' as const, listId: p.listId },
        sku: p.sku,
        unitPrice: p.unitPrice,
        active: isEffectiveAt(p, now),
        effectiveFrom: p.effectiveFrom,
        effectiveTo: p.effectiveTo,
        version: p.version,
      }));
  }

  /** Salesforce's answer for one upsert; a newer version that arrived meanwhile stays pending. */
  written(update: PriceEntryUpdate, result: { ok: boolean; errorCode?: string; message?: string }, at: string, now: number): void {
    const price = this.state.pending[update.key];
    if (!result.ok) {
      this.state.counts.refused += 1;
      this.state.refusals.push({ key: update.key, errorCode: result.errorCode, message: result.message, at });
      if (this.state.refusals.length > 20) this.state.refusals.splice(0, this.state.refusals.length - 20);
      return;
    }
    this.state.counts.written += 1;
    if (!price || price.version !== update.version) return;
    delete this.state.pending[update.key];
    const ahead = Date.parse(price.effectiveFrom) > now || (price.effectiveTo !== undefined && Date.parse(price.effectiveTo) > now);
    if (ahead) this.state.scheduled[update.key] = { ...price, writtenActive: update.active };
  }
}
