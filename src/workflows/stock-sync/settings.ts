import type { Duration } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/workflow';
import { z } from 'zod';
import { duration } from '../order-sync/settings';

const positiveInt = z.number().int().positive();

/** How a location shard's stock sync behaves; deployments set the defaults (src/config/events.ts), tests shrink them. */
export const StockSyncSettingsSchema = z.object({
  /** After the first change in a quiet period, wait this long so a burst becomes one Salesforce write. */
  coalesceWindow: duration.default('2 seconds'),
  /** While changes keep arriving the wait doubles, up to this long in all. */
  maxCoalesceWindow: duration.default('30 seconds'),
  /** SKU-locations per Salesforce call (sObject Collections take at most 200). */
  writeBatchSize: positiveInt.max(200).default(200),
  /** Continue-as-new once the run's history has this many events (or the server suggests it). */
  maxHistoryEvents: positiveInt.default(2_000),
  /** Event ids remembered for dedup (carried across continue-as-new); older repeats are caught by their sequence. */
  dedupMemory: positiveInt.default(1_000),
});
export type StockSyncSettings = Omit<z.infer<typeof StockSyncSettingsSchema>, 'coalesceWindow' | 'maxCoalesceWindow'> & { coalesceWindow: Duration; maxCoalesceWindow: Duration };
export type StockSyncSettingsInput = z.input<typeof StockSyncSettingsSchema>;

/** The settings over the defaults; malformed ones fail the workflow instead of its task. */
export function resolveStockSettings(input: StockSyncSettingsInput | undefined): StockSyncSettings {
  const parsed = StockSyncSettingsSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data as StockSyncSettings; // the durations were checked by the pattern
  const issues = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
  throw ApplicationFailure.nonRetryable(`invalid stock sync settings: ${issues}`, 'ValidationError');
}
