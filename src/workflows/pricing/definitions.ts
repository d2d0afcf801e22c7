import { ApplicationFailure, defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';
import type { ListPrice, Promotion } from '../../domain/pricing';
import type { Alert } from '../lib/alerts';

/** The one feed of the ERP's pricing changes; one workflow per promotion. */
export const pricingFeedWorkflowId = 'pricing-feed/erp';
export const promotionWorkflowId = (promotionId: string) => `promotion/${promotionId}`;

const ms = z.number().int().positive();

/** How the feed and the promotions behave; deployments set the defaults (src/config/pricing.ts), tests shrink them. */
export const PricingSettingsSchema = z.object({
  /** Between reads of the ERP's change feed. */
  pollIntervalMs: ms.max(3_600_000).default(30_000),
  /** Changes per page of the feed. */
  pageSize: z.number().int().min(1).max(500).default(200),
  /** PricebookEntry records per Salesforce call (sObject Collections take at most 200). */
  writeBatchSize: z.number().int().min(1).max(200).default(200),
  /** A promotion whose price or stock is not in place at its start re-checks after this long, doubling up to recheckMaxMs. */
  recheckInitialMs: ms.default(60_000),
  recheckMaxMs: ms.default(900_000),
  /** Continue-as-new once the feed's or a promotion's history has this many events (or the server suggests it). */
  maxHistoryEvents: z.number().int().positive().default(2_000),
  /** A pending price whose list the ERP still does not return after this many rounds is dropped (it would re-read the lists every round). */
  unknownListRounds: z.number().int().positive().default(20),
});
export type PricingSettings = z.infer<typeof PricingSettingsSchema>;
export type PricingSettingsInput = z.input<typeof PricingSettingsSchema>;

/** The settings over the defaults; malformed ones fail the workflow instead of its task. */
export function resolvePricingSettings(input: PricingSettingsInput | undefined): PricingSettings {
  const parsed = PricingSettingsSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  throw ApplicationFailure.nonRetryable(`invalid pricing settings: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`, 'ValidationError');
}

/** List prices pushed to the feed (besides the ones it reads); each is applied only when newer than the version it holds. */
export const priceChangesSignal = defineSignal<[ListPrice[]]>('priceChanges');
/** Read the ERP's change feed now instead of at the next poll. */
export const pollNowSignal = defineSignal('pollNow');

export interface PricingFeedState {
  /** The highest changeSeq applied: the next read asks for what came after it. */
  watermark: number;
  /** listId|sku → the version applied (the yardstick for duplicates and late arrivals). */
  versions: Record<string, number>;
  /** Prices not yet in Salesforce (refused ones stay until a later attempt succeeds). */
  pending: Record<string, ListPrice>;
  /** Written prices with a start or an end still ahead: rewritten when it passes, so IsActive follows the dates. */
  scheduled: Record<string, ListPrice & { writtenActive: boolean }>;
  /** Price lists known and whether each is the default (Salesforce's standard price book). */
  lists: Record<string, { name: string; isDefault: boolean; bookWritten: boolean }>;
  /** promotionId → the version last handed to its workflow and its end (pruned once the end has passed). */
  promotions: Record<string, { version: number; endAt: string }>;
  /** listId → rounds its pending prices waited for the ERP to return the list. */
  unknownLists: Record<string, number>;
  /** malformed: pushed prices that failed the ListPrice schema and were dropped. */
  counts: { pricesApplied: number; ignored: number; written: number; refused: number; polls: number; promotionsNotified: number; malformed: number; droppedUnknownList: number };
  /** The last refusals (at most 20), for operators. */
  refusals: { key: string; errorCode?: string; message?: string; at: string }[];
  continuedAsNew: number;
  /** The last failure the feed carried on after (it reads again at the next poll). */
  lastError?: { step: string; errorType?: string; message: string; at: string };
  /** Promotion changes read but not yet handed over when the run continued as new. */
  due?: Promotion[];
}
export const pricingFeedStateQuery = defineQuery<PricingFeedState & { alerts: Alert[] }>('getPricingFeedState');

/** A promotion's life as Salesforce shows it (the price book's Promotion_Status__c) plus why it is held. */
export type PromotionPhase = 'scheduled' | 'held' | 'live' | 'ended' | 'withdrawn';
export interface PromotionState {
  promotionId: string;
  version: number;
  phase: PromotionPhase;
  startAt: string;
  endAt: string;
  /** Why a promotion past its start is not live yet (a SKU without a price or stock, Salesforce without a standard price). */
  heldBecause?: string;
  checks: number;
  activatedAt?: string;
  deactivatedAt?: string;
}
/** The ERP changed the promotion (or an operator asks for a re-check): it re-reads the promotion from the ERP. */
export const promotionChangedSignal = defineSignal<[{ version?: number }]>('promotionChanged');
export const promotionStateQuery = defineQuery<PromotionState>('getPromotionState');
