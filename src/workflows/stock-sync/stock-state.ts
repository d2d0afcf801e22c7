import type { SalesforceActivities } from '../../activities/salesforce';
import type { StockChange, StockSource } from '../../domain/stock-event';

/** What a Product_Availability__c record is upserted with (by Availability_Key__c). */
type StockAvailabilityUpdate = Parameters<SalesforceActivities['upsertSalesforceStockAvailability']>[0][number];

export type IgnoredStockReason = 'duplicate' | 'out-of-order' | 'superseded' | 'other-location';

/** One SKU at one location: what Salesforce should show and what it was last sent. */
export interface SkuLocationStock {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
  /** The source and sequence of the change shown. */
  source: StockSource;
  version: number;
  /** The event's time at its source (the start of the visibility lag). */
  changedAt: string;
  /** The highest sequence seen per source: the yardstick for out-of-order events. */
  seen: Partial<Record<StockSource, number>>;
  pending: boolean;
  /** The last successful write: which change, and when Salesforce answered (the end of the visibility lag). */
  written?: { source: StockSource; version: number; changedAt: string; at: string };
  lastError?: { errorCode?: string; message?: string; at: string };
}

/** A location shard's stock, plus the bookkeeping that must survive continue-as-new. */
export interface StockSyncState {
  location: string;
  shard: number;
  items: Record<string, SkuLocationStock>;
  /** Recent "source:eventId"s, oldest first, bounded. */
  recentEventIds: string[];
  events: { received: number; applied: number; duplicates: number; outOfOrder: number; superseded: number };
  /** The latest ignored events and why (at most 20). */
  ignored: { eventId: string; source: StockSource; sku: string; reason: IgnoredStockReason }[];
  salesforce: {
    /** Collections calls that succeeded, and the records they carried. */
    writes: number;
    recordsWritten: number;
    recordsRefused: number;
    lastWriteAt?: string;
    /** The longest event-time → Salesforce-write lag of the last write, in ms. */
    lastWriteMaxLagMs?: number;
  };
  continuedAsNew: number;
}

export function emptyStockState(location: string, shard: number): StockSyncState {
  return {
    location,
    shard,
    items: {},
    recentEventIds: [],
    events: { received: 0, applied: 0, duplicates: 0, outOfOrder: 0, superseded: 0 },
    ignored: [],
    salesforce: { writes: 0, recordsWritten: 0, recordsRefused: 0 },
    continuedAsNew: 0,
  };
}

/**
 * Folds stock changes into each SKU's availability: drops duplicates (by source and event id, a
 * bounded memory) and changes not newer than the highest sequence seen from the same source; when
 * two sources count the same SKU-location, the later count (by event time) is the one shown.
 */
export class StockFold {
  readonly state: StockSyncState;
  private readonly seenIds: Set<string>;

  constructor(
    location: string,
    shard: number,
    carried: StockSyncState | undefined,
    private readonly dedupMemory: number,
  ) {
    this.state = carried ?? emptyStockState(location, shard);
    this.seenIds = new Set(this.state.recentEventIds);
  }

  get pendingCount(): number {
    return Object.values(this.state.items).filter((i) => i.pending).length;
  }

  receive(change: StockChange): void {
    const s = this.state;
    s.events.received += 1;
    if (change.location !== s.location) return this.ignore(change, 'other-location');
    const id = `${change.source}:${change.eventId}`;
    if (this.seenIds.has(id)) {
      s.events.duplicates += 1;
      return this.ignore(change, 'duplicate');
    }
    this.remember(id);
    const item = s.items[change.sku];
    const seen = item?.seen[change.source];
    if (seen !== undefined && change.sequence <= seen) {
      s.events.outOfOrder += 1;
      return this.ignore(change, 'out-of-order');
    }
    if (item) item.seen[change.source] = change.sequence;
    // Fresh from its source, yet older than another source's count already shown.
    if (item && item.source !== change.source && Date.parse(change.occurredAt) < Date.parse(item.changedAt)) {
      s.events.superseded += 1;
      return this.ignore(change, 'superseded');
    }
    s.events.applied += 1;
    const next = { onHand: change.onHand, reserved: change.reserved, available: change.available, source: change.source, version: change.sequence, changedAt: change.occurredAt };
    if (!item) {
      s.items[change.sku] = { sku: change.sku, ...next, seen: { [change.source]: change.sequence }, pending: true };
      return;
    }
    Object.assign(item, next);
    const w = item.written;
    item.pending = !w || w.source !== item.source || w.version !== item.version;
  }

  /** The SKU-locations Salesforce has not been sent yet, as upserts. */
  pendingUpdates(): StockAvailabilityUpdate[] {
    return Object.values(this.state.items)
      .filter((i) => i.pending)
      .map((i) => ({ sku: i.sku, location: this.state.location, onHand: i.onHand, reserved: i.reserved, available: i.available, source: i.source, version: i.version, changedAt: i.changedAt }));
  }

  /** Salesforce's answer for one sent update; a change that arrived meanwhile stays pending. */
  written(update: StockAvailabilityUpdate, result: { ok: boolean; errorCode?: string; message?: string }, at: string): void {
    const item = this.state.items[update.sku];
    if (!item) return;
    const unchanged = item.source === update.source && item.version === update.version;
    if (result.ok) {
      item.written = { source: update.source, version: update.version, changedAt: update.changedAt, at };
      this.state.salesforce.recordsWritten += 1;
      delete item.lastError;
    } else {
      // Salesforce refused this record: nothing to retry; the SKU's next change tries again.
      item.lastError = { errorCode: result.errorCode, message: result.message, at };
      this.state.salesforce.recordsRefused += 1;
    }
    if (unchanged) item.pending = false;
  }

  private remember(id: string): void {
    const ids = this.state.recentEventIds;
    ids.push(id);
    this.seenIds.add(id);
    while (ids.length > this.dedupMemory) this.seenIds.delete(ids.shift()!);
  }

  private ignore(change: StockChange, reason: IgnoredStockReason): void {
    const ignored = this.state.ignored;
    ignored.push({ eventId: change.eventId, source: change.source, sku: change.sku, reason });
    if (ignored.length > 20) ignored.splice(0, ignored.length - 20);
  }
}
