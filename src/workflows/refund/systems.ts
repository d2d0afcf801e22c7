import type { ActivityOptions } from '@temporalio/workflow';
import type { Duration, RetryPolicy } from '@temporalio/common';
import type { ErpActivities } from '../../activities/erp';
import type { PaymentsActivities } from '../../activities/payments';
import type { SalesforceActivities } from '../../activities/salesforce';
import { proxyWithAlert } from '../lib/persistent';
import type { SystemQueues } from '../lib/queues';

export type { ProxyKind } from '../lib/persistent';

// Every call heartbeats every 2 s (activities/failures.ts): a killed worker's call is retried after
// the heartbeat timeout, in seconds. Retry-After and an open breaker's cool-down override the backoff.
const retry: RetryPolicy = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' };

const erpOptions = (taskQueue: string, retry: RetryPolicy): ActivityOptions => ({ taskQueue, startToCloseTimeout: '30 seconds', heartbeatTimeout: '10 seconds', retry });
// The pivot: the card network may take a while; the idempotency key makes a retry after a lost answer safe.
const paymentsOptions = (taskQueue: string, retry: RetryPolicy): ActivityOptions => ({ taskQueue, startToCloseTimeout: '60 seconds', heartbeatTimeout: '10 seconds', retry });
const salesforceOptions = (taskQueue: string, retry: RetryPolicy): ActivityOptions => ({ taskQueue, startToCloseTimeout: '30 seconds', heartbeatTimeout: '10 seconds', retry });

/** The three systems a refund touches, each as a bounded proxy (gives up to raise the alert) and a patient one. */
export function refundSystems(queues: SystemQueues, alertAfterAttempts: number, retryMaximumInterval?: string) {
  const policy: RetryPolicy = retryMaximumInterval ? { ...retry, maximumInterval: retryMaximumInterval as Duration } : retry;
  return {
    erp: proxyWithAlert<ErpActivities>(erpOptions(queues.erp, policy), alertAfterAttempts),
    payments: proxyWithAlert<PaymentsActivities>(paymentsOptions(queues.payments, policy), alertAfterAttempts),
    salesforce: proxyWithAlert<SalesforceActivities>(salesforceOptions(queues.salesforce, policy), alertAfterAttempts),
  };
}

/** Calls an activity with a summary, so the Web UI's trace reads as business steps ("Draft credit memo 12.00 USD"). */
export function run<A extends unknown[], R>(summary: string, activity: { executeWithOptions(options: ActivityOptions, args: A): Promise<R> }, ...args: A): Promise<R> {
  return activity.executeWithOptions({ summary }, args);
}
