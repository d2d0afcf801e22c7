import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { ErpActivities } from '../../activities/erp';
import type { SalesforceActivities } from '../../activities/salesforce';
import { proxyWithAlert } from '../lib/persistent';
import type { SystemQueues } from '../lib/queues';

// The Salesforce write must land eventually: bounded attempts raise an alert, then it retries without limit
// (backing off to 30 s, honouring Retry-After); events arriving meanwhile are folded into the next write.
const writeOptions: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
};
const ALERT_AFTER_ATTEMPTS = 5;

// The ERP baseline is a nicety against late, stale events: a few quick tries, else the next write tries again.
const lookupOptions: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 seconds', maximumAttempts: 3 },
};

export function orderSyncActivities(queues: SystemQueues) {
  return {
    salesforce: proxyWithAlert<SalesforceActivities>({ ...writeOptions, taskQueue: queues.salesforce }, ALERT_AFTER_ATTEMPTS),
    erp: proxyActivities<ErpActivities>({ ...lookupOptions, taskQueue: queues.erp }),
  };
}
