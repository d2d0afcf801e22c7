import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, allHandlersFinished, condition, continueAsNew, getExternalWorkflowHandle, isCancellation, log, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import { ListPriceSchema, type Promotion } from '../domain/pricing';
import { createAlerter, type Alert } from './lib/alerts';
import { parseInput } from './lib/case-facts';
import { failureType, untilSucceeded } from './lib/persistent';
import { resolveQueues, type SystemQueues } from './lib/queues';
import { pricingActivities } from './pricing/activities';
import { pollNowSignal, priceChangesSignal, pricingFeedStateQuery, promotionChangedSignal, promotionWorkflowId, resolvePricingSettings, type PricingFeedState, type PricingSettingsInput } from './pricing/definitions';
import { PriceFold, emptyFeedState } from './pricing/feed-state';
import { promotion } from './promotion';

/**
 * pricingFeed (pricing-feed/erp): the durable reader of the ERP's pricing change feed. It keeps the
 * watermark (the last changeSeq applied) in its state, so a restart, a deploy or an ERP outage
 * resumes exactly after the last change handled. List prices become PricebookEntry upserts by
 * ERP_Price_Key__c, 200 to a call, standard book first; each promotion change goes to that
 * promotion's own workflow (started when it has none). It never closes and continues-as-new with
 * its state before its history grows large.
 */

export * from './pricing/definitions';

export interface PricingFeedInput {
  settings?: PricingSettingsInput;
  taskQueues?: Partial<SystemQueues>;
  /** The previous run's state (continue-as-new). */
  carried?: PricingFeedState;
}

// The carried state is this workflow's own (continue-as-new); the rest is checked before it is used.
const PricingFeedInputSchema = z.object({
  settings: z.object({}).loose().optional(),
  taskQueues: z.record(z.string(), z.string().min(1)).optional(),
  carried: z.object({ watermark: z.number().int().nonnegative() }).loose().optional(),
});

export async function pricingFeed(input: PricingFeedInput = {}): Promise<never> {
  parseInput(PricingFeedInputSchema, input, 'pricing feed input');
  const settings = resolvePricingSettings(input.settings);
  const queues = resolveQueues(input.taskQueues);
  const systems = pricingActivities(queues);
  const alerts: Alert[] = [];
  const alert = createAlerter({ salesforceQueue: queues.salesforce, alerts });
  const state = input.carried ?? emptyFeedState();
  const prices = new PriceFold(state);
  let pollRequested = false;

  // Pushed prices are written at once, not at the next poll; a malformed one is counted and dropped (it would sit pending forever).
  setHandler(priceChangesSignal, (changes: unknown) => {
    let malformed = 0;
    for (const item of Array.isArray(changes) ? (changes as unknown[]) : [changes]) {
      const parsed = ListPriceSchema.safeParse(item);
      if (!parsed.success) malformed += 1;
      else if (prices.receive(parsed.data)) pollRequested = true;
    }
    if (!malformed) return;
    state.counts.malformed += malformed;
    log.warn('malformed pushed prices ignored', { malformed });
  });
  setHandler(pollNowSignal, () => void (pollRequested = true));
  setHandler(pricingFeedStateQuery, () => ({ ...state, alerts: [...alerts] }));

  const historyIsLarge = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= settings.maxHistoryEvents;

  /** Promotion changes read but not yet handed to their workflows (carried: the watermark is already past them). */
  const due = new Map<string, Promotion>((input.carried?.due ?? []).map((p) => [p.promotionId, p]));
  delete state.due;

  /** Every change after the watermark, page by page; the watermark moves only past changes applied. */
  const readChanges = async () => {
    let cursor: string | undefined;
    let since = state.watermark;
    try {
      do {
        const page = await systems.erp.listErpPricingChanges.executeWithOptions({ summary: `ERP: pricing changes after ${since}` }, [{ since, pageSize: settings.pageSize, cursor }]);
        for (const change of page.changes) {
          if (change.changeSeq <= state.watermark) continue; // a page served again
          if (change.kind === 'price') prices.receive(change.price);
          else if ((state.promotions[change.promotion.promotionId]?.version ?? 0) < change.promotion.version) due.set(change.promotion.promotionId, change.promotion);
          state.watermark = change.changeSeq;
        }
        cursor = page.nextCursor;
        since = cursor ? since : state.watermark;
      } while (cursor);
      state.counts.polls += 1;
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The ERP refused the read (a cursor it repeats, a bad answer): what was applied stays, the next poll starts after it.
      state.lastError = { step: 'read-changes', errorType: failureType(err), message: (err as Error).message, at: new Date().toISOString() };
      log.error('the ERP refused the pricing change feed', { errorType: failureType(err) });
    }
  };

  /** Price books for the lists of pending prices that have none yet (the default list is the org's standard book). */
  const learnLists = async () => {
    const missing = prices.listsWithoutBook();
    if (!missing.length) return;
    if (missing.some((id) => !state.lists[id])) {
      for (const list of await systems.erp.listErpPriceLists()) state.lists[list.listId] ??= { name: list.name, isDefault: list.isDefault, bookWritten: list.isDefault };
      for (const id of missing) {
        if (state.lists[id]) {
          delete state.unknownLists[id];
          continue;
        }
        state.unknownLists[id] = (state.unknownLists[id] ?? 0) + 1;
        if (state.unknownLists[id] < settings.unknownListRounds) continue;
        // The ERP still does not know the list: its prices can never be written, and would re-read the lists every round.
        const dropped = prices.dropList(id);
        state.counts.droppedUnknownList += dropped;
        delete state.unknownLists[id];
        log.error('prices for a list the ERP does not return dropped', { listId: id, dropped });
      }
    }
    const books = missing.filter((id) => state.lists[id] && !state.lists[id].bookWritten).map((id) => ({ listId: id, name: state.lists[id].name, active: true }));
    if (!books.length) return;
    const answer = await untilSucceeded('salesforce-price-books', (p) => systems.salesforce[p].upsertSalesforceListPriceBooks(books), alert);
    answer.results.forEach((r) => {
      if (r.ok) state.lists[r.key].bookWritten = true;
      else log.error('Salesforce refused a price book', { listId: r.key, errorCode: r.errorCode });
    });
  };

  const writePrices = async () => {
    const now = Date.now();
    prices.due(now);
    try {
      await learnLists();
    } catch (err) {
      if (isCancellation(err)) throw err;
      // Without their books, a new list's prices wait (pending) for the next round.
      state.lastError = { step: 'price-books', errorType: failureType(err), message: (err as Error).message, at: new Date().toISOString() };
    }
    const updates = prices.pendingUpdates(now).filter((u) => u.book.kind === 'standard' || (u.book.kind === 'list' && state.lists[u.book.listId]?.bookWritten));
    for (let i = 0; i < updates.length; i += settings.writeBatchSize) {
      const batch = updates.slice(i, i + settings.writeBatchSize);
      try {
        const answer = await untilSucceeded('salesforce-price-entries', (p) => systems.salesforce[p].upsertSalesforcePriceEntries.executeWithOptions({ summary: `Salesforce: ${batch.length} list prices` }, [batch]), alert);
        batch.forEach((u, k) => prices.written(u, answer.results[k] ?? { ok: false, errorCode: 'NO_RESULT' }, answer.writtenAt, now));
      } catch (err) {
        if (isCancellation(err)) throw err;
        // Salesforce refused the whole call (a bad request): its prices stay pending for the next round.
        batch.forEach((u) => prices.written(u, { ok: false, errorCode: failureType(err), message: (err as Error).message }, new Date().toISOString(), now));
      }
    }
  };

  /** Hands a promotion change to its workflow, starting one when none is running. */
  const notify = async (changed: Promotion) => {
    const workflowId = promotionWorkflowId(changed.promotionId);
    const signal = () => getExternalWorkflowHandle(workflowId).signal(promotionChangedSignal, { version: changed.version });
    try {
      await signal();
    } catch (err) {
      if (isCancellation(err)) throw err;
      try {
        // The promotion outlives this feed's runs: it is abandoned, not cancelled, when the feed continues-as-new.
        await startChild(promotion, { workflowId, args: [{ promotionId: changed.promotionId, settings: input.settings, taskQueues: input.taskQueues }], parentClosePolicy: ParentClosePolicy.ABANDON, staticSummary: `Promotion ${changed.promotionId} → Salesforce` });
      } catch (startErr) {
        if (!(startErr instanceof WorkflowExecutionAlreadyStartedError)) throw startErr;
        await signal();
      }
    }
    state.promotions[changed.promotionId] = { version: changed.version, endAt: changed.endAt };
    state.counts.promotionsNotified += 1;
  };

  for (;;) {
    // Reset before the round: a price pushed while it runs wakes the next one at once.
    pollRequested = false;
    await readChanges();
    await writePrices();
    for (const p of [...due.values()]) {
      try {
        await notify(p);
        due.delete(p.promotionId);
      } catch (err) {
        if (isCancellation(err)) throw err;
        // It stays due and is handed over in the next round.
        state.lastError = { step: `promotion:${p.promotionId}`, errorType: failureType(err), message: (err as Error).message, at: new Date().toISOString() };
      }
    }
    // An ended promotion gets no more changes worth handing over: its entry would only grow the carried state.
    for (const [id, seen] of Object.entries(state.promotions)) if (Date.parse(seen.endAt) < Date.now() && !due.has(id)) delete state.promotions[id];
    if (historyIsLarge()) {
      await condition(allHandlersFinished);
      state.continuedAsNew += 1;
      await continueAsNew<typeof pricingFeed>({ ...input, carried: { ...state, due: [...due.values()] } });
    }
    await condition(() => pollRequested, settings.pollIntervalMs);
  }
}
