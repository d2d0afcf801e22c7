import type { Duration } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/workflow';
import { z } from 'zod';

const positiveInt = z.number().int().positive();
export const duration = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(ms|milliseconds?|s|seconds?|m|minutes?|h|hours?|d|days?)$/, 'a duration such as "2 seconds" or "1 hour"');

/** How an order's sync behaves; deployments set the defaults (src/config/events.ts), tests shrink them. */
export const OrderSyncSettingsSchema = z.object({
  /** After the first change in a quiet period, wait this long so a burst becomes one Salesforce write. */
  coalesceWindow: duration.default('2 seconds'),
  /** While events keep arriving the wait doubles, up to this long in all: a flash sale's burst becomes one write. */
  maxCoalesceWindow: duration.default('30 seconds'),
  /** Continue-as-new once the run's history has this many events (or the server suggests it). */
  maxHistoryEvents: positiveInt.default(2_000),
  /** A delivered or cancelled order's workflow closes after this long without new events. */
  closeAfterCompleteGrace: duration.default('1 hour'),
  /** Event ids remembered for dedup (carried across continue-as-new). */
  dedupMemory: positiveInt.default(500),
});
export type OrderSyncSettings = Omit<z.infer<typeof OrderSyncSettingsSchema>, 'coalesceWindow' | 'maxCoalesceWindow' | 'closeAfterCompleteGrace'> & {
  coalesceWindow: Duration;
  maxCoalesceWindow: Duration;
  closeAfterCompleteGrace: Duration;
};
export type OrderSyncSettingsInput = z.input<typeof OrderSyncSettingsSchema>;

/** The settings over the defaults; malformed ones fail the workflow instead of its task. */
export function resolveSettings(input: OrderSyncSettingsInput | undefined): OrderSyncSettings {
  const parsed = OrderSyncSettingsSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data as OrderSyncSettings; // the durations were checked by the pattern
  const issues = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
  throw ApplicationFailure.nonRetryable(`invalid order sync settings: ${issues}`, 'ValidationError');
}
