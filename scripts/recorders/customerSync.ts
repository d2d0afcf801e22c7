import type { Client } from '@temporalio/client';
import { customerMasterConfigFromEnv } from '../../src/config/customer-master';
import { createSalesforceConnector } from '../../src/connectors/salesforce';
import type { CustomerChange } from '../../src/domain/customer-master';
import { customerChangeSignal, customerSync, customerSyncStateQuery, customerSyncWorkflowId, type CustomerSyncState } from '../../src/workflows/customer-sync';
import type { Recording } from './recording';

async function settled(client: Client, workflowId: string, done: (s: CustomerSyncState) => boolean): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const state = await client.workflow.getHandle(workflowId).query(customerSyncStateQuery);
    if (state.pending === 0 && done(state)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${workflowId} did not settle within 60 s`);
}

/**
 * One customer: a Salesforce email change written to the ERP, the same change again and an older one
 * (dropped), then a credit limit changed in Salesforce (a conflict: the steward's Case). The entity
 * never closes, so the recording stops it.
 */
export const recorder = (): Recording => {
  const customerId = 'C-000030';
  const workflowId = customerSyncWorkflowId(customerId);
  return {
    workflowId,
    run: async (client, config) => {
      const salesforce = createSalesforceConnector(config);
      try {
        const master = await salesforce.getCustomerMaster({ customerId });
        const { ownership } = customerMasterConfigFromEnv({});
        const change = (eventId: string, version: number, values: CustomerChange['values']): CustomerChange => ({ eventId, source: 'salesforce', customerId, version, occurredAt: new Date().toISOString(), values, salesforce: { accountId: master.accountId, contactId: master.contactId } });
        const send = (...changes: CustomerChange[]) =>
          client.workflow.signalWithStart(customerSync, { workflowId, taskQueue: config.taskQueues.orchestration, args: [{ customerId, ownership, taskQueues: { salesforce: config.taskQueues.salesforce, erp: config.taskQueues.erp } }], signal: customerChangeSignal, signalArgs: [changes] });
        await send(change('rec-1', 2_000, { email: 'recorded@example.com' }));
        await settled(client, workflowId, (s) => s.writes.erp === 1);
        await send(change('rec-1', 2_000, { email: 'recorded@example.com' }), change('rec-0', 1_000, { email: 'older@example.com' }), change('rec-2', 3_000, { creditLimit: 1 }));
        await settled(client, workflowId, (s) => s.conflicts.some((c) => !!c.caseId));
        await client.workflow.getHandle(workflowId).terminate('recorded');
      } finally {
        salesforce.shutdown();
      }
    },
  };
};
