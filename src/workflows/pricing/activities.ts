import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { ErpActivities, ErpPricingActivities, SalesforceActivities, SalesforcePricingActivities } from '../../activities';
import { proxyWithAlert } from '../lib/persistent';
import type { SystemQueues } from '../lib/queues';

// Reads are retried until the ERP answers (backing off to 30 s, honouring Retry-After); a refusal (404, bad request) is thrown.
const readOptions: ActivityOptions = { startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' } };
// Prices must reach Salesforce eventually: bounded attempts raise an alert, then it retries without limit.
const writeOptions: ActivityOptions = { startToCloseTimeout: '60 seconds', retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' } };
const ALERT_AFTER_ATTEMPTS = 5;

export function pricingActivities(queues: SystemQueues) {
  return {
    erp: proxyActivities<ErpActivities & ErpPricingActivities>({ ...readOptions, taskQueue: queues.erp }),
    salesforce: proxyWithAlert<SalesforceActivities & SalesforcePricingActivities>({ ...writeOptions, taskQueue: queues.salesforce }, ALERT_AFTER_ATTEMPTS),
  };
}
