import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { CustomerMasterConfig } from '../config/customer-master';
import type { CustomerSyncTarget } from '../domain/customer-master';
import type { customerChangePoll } from '../workflows/customer-change-poll';
import { customerChangePollWorkflowId } from '../workflows/customer-sync/definitions';

/** Where customer changes go: each customer's customerSync on the orchestration queue, with the configured ownership. */
export function customerSyncTarget(config: Config, customers: CustomerMasterConfig): CustomerSyncTarget {
  return { taskQueue: config.taskQueues.orchestration, ownership: customers.ownership, taskQueues: { salesforce: config.taskQueues.salesforce, erp: config.taskQueues.erp } };
}

/** Starts the ERP's customer change poll unless it runs already (one per deployment; it carries its own watermark). */
export async function ensureCustomerChangePoll(client: Client, config: Config, customers: CustomerMasterConfig, options: { id?: string; cursor?: string } = {}) {
  return client.workflow.start<typeof customerChangePoll>('customerChangePoll', {
    workflowId: customerChangePollWorkflowId(options.id),
    taskQueue: config.taskQueues.orchestration,
    args: [{ ownership: customers.ownership, interval: customers.pollInterval, pageSize: customers.pollPageSize, cursor: options.cursor, taskQueues: { salesforce: config.taskQueues.salesforce, erp: config.taskQueues.erp } }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: "Follows the ERP's customer change feed into each customer's sync",
  });
}
