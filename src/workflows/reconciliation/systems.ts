import type { ActivityOptions } from '@temporalio/workflow';
import type { ErpActivities } from '../../activities/erp';
import type { PaymentsActivities } from '../../activities/payments';
import type { SalesforceActivities } from '../../activities/salesforce';
import { proxyWithAlert } from '../lib/persistent';
import type { SystemQueues } from '../lib/queues';

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;

// A day's listing follows every page of a system: minutes, heartbeating every 2 s (activities/failures.ts).
const listingOptions = (taskQueue: string): ActivityOptions => ({ taskQueue, startToCloseTimeout: '5 minutes', heartbeatTimeout: '30 seconds', retry });
const writeOptions = (taskQueue: string): ActivityOptions => ({ taskQueue, startToCloseTimeout: '30 seconds', heartbeatTimeout: '10 seconds', retry });

/** The three systems reconciliation reads (listing proxies) and repairs (write proxies), each bounded (to alert) and patient. */
export function reconciliationSystems(queues: SystemQueues, alertAfterAttempts: number) {
  return {
    listing: {
      salesforce: proxyWithAlert<SalesforceActivities>(listingOptions(queues.salesforce), alertAfterAttempts),
      erp: proxyWithAlert<ErpActivities>(listingOptions(queues.erp), alertAfterAttempts),
      payments: proxyWithAlert<PaymentsActivities>(listingOptions(queues.payments), alertAfterAttempts),
    },
    salesforce: proxyWithAlert<SalesforceActivities>(writeOptions(queues.salesforce), alertAfterAttempts),
    erp: proxyWithAlert<ErpActivities>(writeOptions(queues.erp), alertAfterAttempts),
  };
}

export type ReconciliationSystems = ReturnType<typeof reconciliationSystems>;
