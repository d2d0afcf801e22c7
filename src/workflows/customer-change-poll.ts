import { continueAsNew, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { z } from 'zod';
import type { CustomerMasterErpActivities } from '../activities/customer-master';
import { FieldOwnershipSchema, type FieldOwnership } from '../domain/customer-master';
import { parseInput } from './lib/case-facts';
import { resolveQueues } from './lib/queues';
import { duration } from './order-sync/settings';
import { customerChangePollStateQuery, type CustomerChangePollState } from './customer-sync/definitions';

export { customerChangePollStateQuery, customerChangePollWorkflowId } from './customer-sync/definitions';

/**
 * customerChangePoll (customer-changes/erp): follows the ERP's customer change feed. Each poll
 * forwards every change after the watermark to its customer's customerSync (signal-with-start),
 * then keeps the feed's cursor as the new watermark; between polls a durable timer. The watermark
 * is all it carries into a new run (continue-as-new), so a restart resumes right after the last
 * change forwarded — never skipping one stamped at the same instant, as the cursor orders by
 * (lastModified, customer number).
 */

export interface CustomerChangePollInput {
  /** The watermark (the feed's cursor); absent on the first run: the feed is read from its start. */
  cursor?: string;
  ownership: FieldOwnership;
  interval?: string;
  pageSize?: number;
  taskQueues?: { salesforce?: string; erp?: string };
  /** Polls per run before continuing as new. */
  pollsPerRun?: number;
}

const InputSchema = z.object({
  cursor: z.string().min(1).optional(),
  ownership: FieldOwnershipSchema,
  interval: duration.default('15 seconds'),
  pageSize: z.number().int().min(1).max(500).default(100),
  taskQueues: z.object({ salesforce: z.string().min(1).optional(), erp: z.string().min(1).optional() }).optional(),
  pollsPerRun: z.number().int().min(1).max(1_000).default(100),
});

export async function customerChangePoll(input: CustomerChangePollInput): Promise<never> {
  const settings = parseInput(InputSchema, input, 'customer change poll input');
  const queues = resolveQueues(settings.taskQueues);
  // Forwarding must not give up: the ERP may be down for a while, the watermark simply waits.
  const erp = proxyActivities<CustomerMasterErpActivities>({
    taskQueue: queues.erp,
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: Number.POSITIVE_INFINITY },
  });
  const state: CustomerChangePollState = { cursor: settings.cursor, polls: 0, forwarded: 0 };
  setHandler(customerChangePollStateQuery, () => state);

  const target = { taskQueue: workflowInfo().taskQueue, ownership: settings.ownership, taskQueues: settings.taskQueues };
  while (state.polls < settings.pollsPerRun && !workflowInfo().continueAsNewSuggested) {
    const result = await erp.forwardErpCustomerChanges.executeWithOptions({ summary: 'ERP: customer changes after the watermark' }, [{ cursor: state.cursor, pageSize: settings.pageSize, maxPages: 10, target }]);
    state.cursor = result.cursor ?? state.cursor;
    state.forwarded += result.forwarded;
    state.polls += 1;
    state.lastPolledAt = new Date().toISOString();
    // A backlog is read on at once; a caught-up feed waits for the next interval.
    if (!result.hasMore) await sleep(settings.interval as Duration);
  }
  return continueAsNew<typeof customerChangePoll>({ ...input, cursor: state.cursor });
}
