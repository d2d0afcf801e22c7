/**
 * Names and limits of the order backfill, shared by the workflow, the API and retailctl (pure: no I/O,
 * so workflow code may import it).
 */

/** The ERP pages changed orders 1..500 at a time. */
export const MAX_PAGE_SIZE = 500;
/** Rows per Bulk API 2.0 job: large enough to be worth a job, small enough for one activity payload. */
export const MAX_BATCH_SIZE = 5000;

/** Bytes of one Bulk job's rows (as JSON) at most: an activity payload stays well under Temporal's 2 MB limit. */
export const MAX_BATCH_BYTES = 1_048_576;
/** Room for a few rows at least. */
export const MIN_BATCH_BYTES = 1024;

export const backfillDefaults = {
  pageSize: 200,
  batchSize: 1000,
  batchBytes: 524_288,
  /** Pages one run reads before it continues as new, so a backfill of any size keeps a small history. */
  pagesPerRun: 20,
  alertAfterAttempts: 5,
} as const;

/** Thrown for a `since` that is neither a date (YYYY-MM-DD) nor an ISO timestamp. */
export class InvalidSinceError extends Error {}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The canonical form of a backfill's start point: a date when it is a UTC midnight (2025-01-31),
 * otherwise the ISO timestamp in UTC. The same point in time always gives the same backfill id.
 */
export function canonicalSince(text: string): string {
  const trimmed = text.trim();
  if (!DATE.test(trimmed) && !TIMESTAMP.test(trimmed)) throw new InvalidSinceError(`since must be a date (YYYY-MM-DD) or an ISO timestamp, not "${text}"`);
  const at = new Date(DATE.test(trimmed) ? `${trimmed}T00:00:00Z` : trimmed);
  if (Number.isNaN(at.getTime())) throw new InvalidSinceError(`since "${text}" is not a real date`);
  if (DATE.test(trimmed) && at.toISOString().slice(0, 10) !== trimmed) throw new InvalidSinceError(`since "${text}" is not a real date`);
  const iso = at.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

/** The ERP's changedSince for a canonical since (an ISO timestamp in UTC). */
export function changedSinceOf(since: string): string {
  return new Date(DATE.test(since) ? `${since}T00:00:00Z` : since).toISOString();
}

/** backfill/{since}: one backfill per start point, whichever channel starts it. */
export function backfillWorkflowId(since: string): string {
  return `backfill/${canonicalSince(since)}`;
}
