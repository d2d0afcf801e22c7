import type { Alert } from '../lib/alerts';
import type { BulkFailure, BulkResult } from './batch';

export type BackfillStage = 'reading' | 'writing' | 'completed';

/** Rows Salesforce rejected are listed up to this many; the rest are only counted. */
export const MAX_LISTED_FAILURES = 100;
const MAX_LISTED_ALERTS = 20;

/** What the backfill has done so far, across every run (it travels with continue-as-new). */
export interface BackfillProgress {
  /** The canonical start point (date or ISO timestamp) and the ERP's changedSince derived from it. */
  since: string;
  changedSince: string;
  pageSize: number;
  batchSize: number;
  stage: BackfillStage;
  /** Pages of changed orders read from the ERP. */
  pagesRead: number;
  /** Orders on those pages (an order that changed during the backfill is seen again, and written again). */
  ordersSeen: number;
  /** Rows sent to Salesforce in finished Bulk jobs: created + updated + the rows Salesforce rejected. */
  written: number;
  created: number;
  updated: number;
  /** Rows Salesforce rejected, plus orders that could not be sent at all. */
  failed: number;
  /** The first MAX_LISTED_FAILURES failures; failuresNotListed counts the rest. */
  failures: BulkFailure[];
  failuresNotListed: number;
  /** Bulk API 2.0 jobs finished, and the latest one's id. */
  bulkJobs: number;
  lastJobId?: string;
  /** The ERP cursor after the last page read (absent before the first page and after the last). */
  cursor?: string;
  /** Orders read but not yet written (held for the next Bulk job). */
  pending: number;
  /** This run's number: 1, then one more after each continue-as-new. */
  run: number;
  alerts: Alert[];
  startedAt: string;
  updatedAt: string;
  completedAt?: string;
}

export function newProgress(fields: Pick<BackfillProgress, 'since' | 'changedSince' | 'pageSize' | 'batchSize'>, now: string): BackfillProgress {
  return {
    ...fields,
    stage: 'reading',
    pagesRead: 0,
    ordersSeen: 0,
    written: 0,
    created: 0,
    updated: 0,
    failed: 0,
    failures: [],
    failuresNotListed: 0,
    bulkJobs: 0,
    pending: 0,
    run: 1,
    alerts: [],
    startedAt: now,
    updatedAt: now,
  };
}

export function recordFailures(progress: BackfillProgress, failures: BulkFailure[]): void {
  const room = Math.max(0, MAX_LISTED_FAILURES - progress.failures.length);
  progress.failures.push(...failures.slice(0, room));
  progress.failuresNotListed += Math.max(0, failures.length - room);
}

/** Adds one finished Bulk job's counts. */
export function recordBulkJob(progress: BackfillProgress, result: BulkResult): void {
  progress.bulkJobs += 1;
  progress.lastJobId = result.jobId;
  progress.created += result.created;
  progress.updated += result.updated;
  progress.failed += result.failed;
  progress.written += result.created + result.updated + result.failed;
  recordFailures(progress, result.failures);
}

/** Keeps the latest alerts only, so the progress stays small however long an outage lasts. */
export function trimAlerts(progress: BackfillProgress): void {
  if (progress.alerts.length > MAX_LISTED_ALERTS) progress.alerts.splice(0, progress.alerts.length - MAX_LISTED_ALERTS);
}

/** One line for the Web UI's current details and retailctl's progress line. */
export function progressLine(p: BackfillProgress): string {
  return `${p.pagesRead} pages, ${p.ordersSeen} orders read, ${p.written} written (${p.created} created, ${p.updated} updated, ${p.failed} failed)`;
}
