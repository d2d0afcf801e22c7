import type { ActivityOptions } from '@temporalio/workflow';
import type { ErpActivities } from '../../activities/erp';
import type { ReconciliationActivities } from '../../activities/reconciliation';
import type { SalesforceActivities } from '../../activities/salesforce';
import { proxyWithAlert } from '../lib/persistent';
import type { SystemQueues } from '../lib/queues';

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;

// A day's read follows every page of three systems: minutes, heartbeating every 2 s (activities/failures.ts).
const listingOptions = (taskQueue: string): ActivityOptions => ({ taskQueue, startToCloseTimeout: '5 minutes', heartbeatTimeout: '30 seconds', retry });
const writeOptions = (taskQueue: string): ActivityOptions => ({ taskQueue, startToCloseTimeout: '30 seconds', heartbeatTimeout: '10 seconds', retry });

/** The day's read (on the orchestration queue) and the two systems reconciliation repairs, each bounded (to alert) and patient. */
export function reconciliationSystems(queues: SystemQueues, alertAfterAttempts: number, orchestrationQueue: string) {
  return {
    day: proxyWithAlert<ReconciliationActivities>(listingOptions(orchestrationQueue), alertAfterAttempts),
    salesforce: proxyWithAlert<SalesforceActivities>(writeOptions(queues.salesforce), alertAfterAttempts),
    erp: proxyWithAlert<ErpActivities>(writeOptions(queues.erp), alertAfterAttempts),
  };
}

export type ReconciliationSystems = ReturnType<typeof reconciliationSystems>;
