import type { ActivityOptions } from '@temporalio/workflow';
import type { SalesforceActivities } from '../../activities/salesforce';
import { proxyWithAlert } from '../lib/persistent';
import type { SystemQueues } from '../lib/queues';

// Availability must reach Salesforce eventually: bounded attempts raise an alert, then it retries without limit
// (backing off to 30 s, honouring Retry-After); changes arriving meanwhile join the next write.
const writeOptions: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
};
const ALERT_AFTER_ATTEMPTS = 5;

export function stockSyncActivities(queues: SystemQueues) {
  return {
    salesforce: proxyWithAlert<SalesforceActivities>({ ...writeOptions, taskQueue: queues.salesforce }, ALERT_AFTER_ATTEMPTS),
  };
}
