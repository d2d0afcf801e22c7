import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { ErpActivities } from '../../activities/erp';
import type { SalesforceActivities } from '../../activities/salesforce';
import type { WarehouseActivities } from '../../activities/warehouse';
import { proxyWithAlert } from '../lib/persistent';
import type { SystemQueues } from '../lib/queues';

// Every call heartbeats every 2 s, so a lost worker shows within the heartbeat timeout; retries back off
// to 10 s at most (a retry adds no history) and honour Retry-After and an open breaker's cool-down.
const defaultStepOptions: ActivityOptions = {
  startToCloseTimeout: '60 seconds',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
};

// A look at the warehouse when an event is overdue: a few quick tries; the next look comes a window later.
const lookupOptions: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 seconds', maximumAttempts: 3 },
};

/**
 * The replacement's proxies, one set per system queue: `bounded` until the policy's alert threshold,
 * then `patient` without limit (see untilSucceeded).
 */
export function replacementActivities(queues: SystemQueues, alertAfterAttempts: number, retryMaximumInterval?: string) {
  const stepOptions = retryMaximumInterval ? { ...defaultStepOptions, retry: { ...defaultStepOptions.retry, maximumInterval: retryMaximumInterval as Duration } } : defaultStepOptions;
  return {
    erp: proxyWithAlert<ErpActivities>({ ...stepOptions, taskQueue: queues.erp }, alertAfterAttempts),
    warehouse: proxyWithAlert<WarehouseActivities>({ ...stepOptions, taskQueue: queues.warehouse }, alertAfterAttempts),
    salesforce: proxyWithAlert<SalesforceActivities>({ ...stepOptions, taskQueue: queues.salesforce }, alertAfterAttempts),
    warehouseLookup: proxyActivities<WarehouseActivities>({ ...lookupOptions, taskQueue: queues.warehouse }),
  };
}

export type ReplacementActivities = ReturnType<typeof replacementActivities>;
