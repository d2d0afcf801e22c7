import { ApplicationFailure, continueAsNew, defineQuery, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import { createAlerter } from './lib/alerts';
import { parseInput } from './lib/case-facts';
import { untilSucceeded } from './lib/persistent';
import { resolveQueues, type SystemQueues } from './lib/queues';
import { enterStage } from './lib/stage';
import { backfillActivities } from './order-backfill/activities';
import { PendingRows, unwritable, type OrderStatusUpdate } from './order-backfill/batch';
import { backfillDefaults, canonicalSince, changedSinceOf, MAX_BATCH_BYTES, MAX_BATCH_SIZE, MAX_PAGE_SIZE, MIN_BATCH_BYTES } from './order-backfill/ids';
import { newProgress, progressLine, recordBulkJob, recordFailures, trimAlerts, type BackfillProgress, type BackfillStage } from './order-backfill/progress';

/**
 * orderBackfill (backfill/{since}): brings Salesforce's orders up to the ERP's state after an outage,
 * a migration or a new org. Pages the ERP's orders changed since a point in time, maps each to the
 * order status Salesforce shows, and upserts them by Order_Number__c through Bulk API 2.0, a batch
 * per job. Counts and failures are its progress (query getBackfillProgress). Every `pagesPerRun`
 * pages it writes what it holds and continues as new with the cursor and the progress, so a
 * backfill of any size keeps a small history. An outage of either system raises one alert and is
 * waited out. Running it again is harmless: upserts by external id never duplicate an order.
 */

export type { BackfillProgress, BackfillStage } from './order-backfill/progress';

export interface OrderBackfillInput {
  /** Orders changed at or after this point: a date (YYYY-MM-DD, UTC midnight) or an ISO timestamp. */
  since: string;
  /** Orders per ERP page, 1..500 (default 200). */
  pageSize?: number;
  /** Rows per Bulk API 2.0 job, 1..5000 (default 1000). */
  batchSize?: number;
  /** Bytes of one job's rows as JSON, 1024..1048576 (default 524288): a batch of wide rows is split before it nears the 2 MB payload limit. */
  batchBytes?: number;
  /** Pages per run before continuing as new (default 20). */
  pagesPerRun?: number;
  /** Attempts before the one alert; retries go on after it (default 5). */
  alertAfterAttempts?: number;
  taskQueues?: Partial<SystemQueues>;
  /** Set by the backfill itself when it continues as new: where it stopped and what it did. */
  carried?: { cursor: string; progress: BackfillProgress };
}

export const backfillProgressQuery = defineQuery<BackfillProgress>('getBackfillProgress');

export async function orderBackfill(input: OrderBackfillInput): Promise<BackfillProgress> {
  parseInput(z.object({ since: z.string().min(1) }).loose(), input, 'order backfill input');
  const settings = settingsOf(input);
  const queues = resolveQueues(input.taskQueues);
  const now = () => new Date().toISOString();
  const progress: BackfillProgress = input.carried
    ? { ...input.carried.progress, run: input.carried.progress.run + 1, updatedAt: now() }
    : newProgress({ since: settings.since, changedSince: changedSinceOf(settings.since), pageSize: settings.pageSize, batchSize: settings.batchSize }, now());
  let cursor = input.carried?.cursor;
  const pending = new PendingRows();
  setHandler(backfillProgressQuery, () => ({ ...progress, pending: pending.size, cursor }));

  const systems = backfillActivities(queues, settings.alertAfterAttempts);
  const alert = createAlerter({ salesforceQueue: queues.salesforce, alerts: progress.alerts });
  // The Stage search attribute changes only when the stage does (each upsert is a history event); the details every time.
  let shownStage: BackfillStage | undefined;
  const moveTo = (stage: BackfillStage) => {
    progress.stage = stage;
    progress.updatedAt = now();
    if (stage !== shownStage) enterStage(stage, progressLine(progress));
    else setCurrentDetails(`**${stage}**: ${progressLine(progress)}`);
    shownStage = stage;
  };

  const readPage = async () => {
    moveTo('reading');
    const page = await untilSucceeded('read-changed-orders', (p) => systems.erp[p].listChangedErpOrders({ changedSince: progress.changedSince, pageSize: settings.pageSize, cursor }), alert);
    progress.pagesRead += 1;
    progress.ordersSeen += page.orders.length;
    for (const order of page.orders) {
      const refused = unwritable(order, settings.batchBytes);
      if (refused) {
        progress.failed += 1;
        recordFailures(progress, [refused]);
      } else pending.add(order);
    }
    cursor = page.nextCursor;
    return cursor !== undefined;
  };

  const writeBatch = async (rows: OrderStatusUpdate[]) => {
    if (rows.length === 0) return;
    moveTo('writing');
    const result = await untilSucceeded('write-orders-bulk', (p) => systems.salesforce[p].upsertSalesforceOrdersBulk(rows), alert);
    recordBulkJob(progress, result);
    trimAlerts(progress);
  };

  const writeAll = async () => {
    while (pending.size > 0) await writeBatch(pending.take(pending.size, settings.batchBytes));
  };

  let pagesThisRun = 0;
  for (let more = true; more; ) {
    more = await readPage();
    pagesThisRun += 1;
    while (pending.size >= settings.batchSize) await writeBatch(pending.take(settings.batchSize, settings.batchBytes));
    if (more && (pagesThisRun >= settings.pagesPerRun || workflowInfo().continueAsNewSuggested)) {
      // Everything read so far is written before the hand-over: the next run needs only the cursor.
      await writeAll();
      progress.updatedAt = now();
      return continueAsNew<typeof orderBackfill>({ ...input, carried: { cursor: cursor!, progress } });
    }
  }
  await writeAll();

  progress.completedAt = now();
  moveTo('completed');
  return { ...progress, pending: 0, cursor: undefined };
}

interface Settings {
  since: string;
  pageSize: number;
  batchSize: number;
  batchBytes: number;
  pagesPerRun: number;
  alertAfterAttempts: number;
}

/** The input with its defaults; a malformed one fails the backfill at once (a caller's bug, not an outage). */
function settingsOf(input: OrderBackfillInput): Settings {
  const invalid = (message: string) => ApplicationFailure.nonRetryable(message, 'ValidationError');
  let since: string;
  try {
    since = canonicalSince(input.since);
  } catch (err) {
    throw invalid((err as Error).message);
  }
  const count = (name: string, value: number | undefined, fallback: number, max: number, min = 1) => {
    const n = value ?? fallback;
    if (!Number.isInteger(n) || n < min || n > max) throw invalid(`${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
  return {
    since,
    pageSize: count('pageSize', input.pageSize, backfillDefaults.pageSize, MAX_PAGE_SIZE),
    batchSize: count('batchSize', input.batchSize, backfillDefaults.batchSize, MAX_BATCH_SIZE),
    batchBytes: count('batchBytes', input.batchBytes, backfillDefaults.batchBytes, MAX_BATCH_BYTES, MIN_BATCH_BYTES),
    pagesPerRun: count('pagesPerRun', input.pagesPerRun, backfillDefaults.pagesPerRun, 10_000),
    alertAfterAttempts: count('alertAfterAttempts', input.alertAfterAttempts, backfillDefaults.alertAfterAttempts, 1_000),
  };
}
