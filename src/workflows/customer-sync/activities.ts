import type { ActivityOptions } from '@temporalio/workflow';
import type { CustomerMasterErpActivities, CustomerMasterSalesforceActivities } from '../../activities/customer-master';
import { proxyWithAlert } from '../lib/persistent';
import type { SystemQueues } from '../lib/queues';

// The customer's data must reach the other system eventually: bounded attempts raise an alert, then retries go on without limit.
const options: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
};
const ALERT_AFTER_ATTEMPTS = 5;

export function customerSyncActivities(queues: Pick<SystemQueues, 'salesforce' | 'erp'>) {
  return {
    salesforce: proxyWithAlert<CustomerMasterSalesforceActivities>({ ...options, taskQueue: queues.salesforce }, ALERT_AFTER_ATTEMPTS),
    erp: proxyWithAlert<CustomerMasterErpActivities>({ ...options, taskQueue: queues.erp }, ALERT_AFTER_ATTEMPTS),
  };
}
