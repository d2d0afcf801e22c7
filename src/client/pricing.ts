import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { PricingConfig } from '../config/pricing';
import type { SystemQueues } from '../workflows/lib/queues';
import { pricingFeedWorkflowId, type pricingFeed } from '../workflows/pricing-feed';
import { describeIfExists } from './handles';
import type { StartedProcess } from './start';

// The pricing feed's start, for retailctl and deployments: one feed per namespace, joined when it runs.

export async function startPricingFeed(client: Client, options: { taskQueue: string; taskQueues?: Partial<SystemQueues>; settings?: PricingConfig }): Promise<StartedProcess> {
  const before = await describeIfExists(client, pricingFeedWorkflowId);
  if (before?.status.name === 'RUNNING') return { workflowId: pricingFeedWorkflowId, runId: before.runId, existing: true, status: 'RUNNING' };
  const handle = await client.workflow.start<typeof pricingFeed>('pricingFeed', {
    workflowId: pricingFeedWorkflowId,
    taskQueue: options.taskQueue,
    args: [{ settings: options.settings, taskQueues: options.taskQueues }],
    // A second start joins the running feed: there is one watermark, never two readers.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    staticSummary: 'ERP prices and promotions → Salesforce price books',
  });
  return { workflowId: pricingFeedWorkflowId, runId: handle.firstExecutionRunId, existing: false, status: 'RUNNING' };
}
