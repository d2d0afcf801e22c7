import type { ActivityOptions } from '@temporalio/workflow';
import type { ErpActivities } from '../../activities/erp';
import type { SalesforceActivities } from '../../activities/salesforce';
import { proxyWithAlert } from '../lib/persistent';
import type { SystemQueues } from '../lib/queues';

// One page of changed orders: a quick read; retries back off to 10 s and honour Retry-After.
const readOptions: ActivityOptions = {
  startToCloseTimeout: '60 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
};

// One Bulk API 2.0 job: open, upload, close, then poll until Salesforce has processed it. The activity
// heartbeats on every poll, so a lost worker shows within the heartbeat timeout, not the job's length.
// A retry opens a new job with the same rows: the upsert by Order_Number__c makes that harmless.
const writeOptions: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
};

/** The backfill's two systems: `bounded` until the alert threshold, then `patient` without limit (untilSucceeded). */
export function backfillActivities(queues: SystemQueues, alertAfterAttempts: number) {
  return {
    erp: proxyWithAlert<ErpActivities>({ ...readOptions, taskQueue: queues.erp }, alertAfterAttempts),
    salesforce: proxyWithAlert<SalesforceActivities>({ ...writeOptions, taskQueue: queues.salesforce }, alertAfterAttempts),
  };
}

export type BackfillActivities = ReturnType<typeof backfillActivities>;
