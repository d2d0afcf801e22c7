import { Context } from '@temporalio/activity';
import type { SalesforceConnector } from '../connectors/salesforce';
import type { ErpCustomerMaster, ErpCustomerRecord, ErpCustomerUpdateResult } from '../connectors/erp/customers';
import { CUSTOMER_CHANGE_SIGNAL, customerSyncWorkflowId, erpChange, type CustomerChange, type CustomerMasterValues, type CustomerSyncInput, type CustomerSyncTarget } from '../domain/customer-master';
import type { SalesforceCustomerMaster } from '../connectors/salesforce/connector';
import { asActivity } from './failures';

export interface ErpCustomerUpdateInput {
  customerId: string;
  values: CustomerMasterValues;
  expectedVersion: number;
  /** idempotencyKey(workflowId, step): the same on every retry of this write. */
  idempotencyKey: string;
}

export interface ForwardErpChangesInput {
  /** The watermark: the feed's cursor after the last change already forwarded (none: from the start). */
  cursor?: string;
  pageSize: number;
  /** Pages read per call at most, so one call stays short. */
  maxPages: number;
  target: CustomerSyncTarget;
}

export interface ForwardErpChangesResult {
  cursor?: string;
  forwarded: number;
  hasMore: boolean;
}

/** Hands a change to its customer's workflow, starting it if needed (the workflow drops a change it has seen). */
export async function forwardCustomerChange(client: Context['client'], target: CustomerSyncTarget, change: CustomerChange): Promise<void> {
  const input: CustomerSyncInput = { customerId: change.customerId, ownership: target.ownership, taskQueues: target.taskQueues };
  await client.workflow.signalWithStart('customerSync', {
    workflowId: customerSyncWorkflowId(change.customerId),
    taskQueue: target.taskQueue,
    args: [input],
    signal: CUSTOMER_CHANGE_SIGNAL,
    signalArgs: [[change]],
    staticSummary: `Customer master sync of ${change.customerId}`,
  });
}

export function createCustomerMasterActivities(deps: { salesforce: SalesforceConnector; erpCustomers: ErpCustomerMaster }) {
  const { salesforce, erpCustomers } = deps;
  return {
    salesforce: {
      async readSalesforceCustomerMaster(customerId: string): Promise<SalesforceCustomerMaster> {
        return asActivity(() => salesforce.getCustomerMaster({ customerId }));
      },
      async updateSalesforceCustomerMaster(input: { accountId: string; contactId?: string; values: CustomerMasterValues }): Promise<{ account: boolean; contact: boolean }> {
        return asActivity(() => salesforce.updateCustomerMaster(input, input.values));
      },
      async openCustomerConflictCase(input: { key: string; accountId: string; subject: string; description: string }): Promise<{ caseId: string; created: boolean }> {
        return asActivity(() => salesforce.openCustomerConflictCase(input));
      },
    },
    erp: {
      async readErpCustomer(customerId: string): Promise<ErpCustomerRecord> {
        return asActivity(() => erpCustomers.getCustomer(customerId));
      },
      async updateErpCustomer(input: ErpCustomerUpdateInput): Promise<ErpCustomerUpdateResult> {
        return asActivity(() => erpCustomers.updateCustomer(input.customerId, input.values, input.expectedVersion, input.idempotencyKey));
      },
      /**
       * Reads the ERP's change feed after the watermark and signals each change to its customer's
       * workflow before answering the new watermark: a crash in between repeats signals (dropped by
       * version there), never skips one.
       */
      async forwardErpCustomerChanges(input: ForwardErpChangesInput): Promise<ForwardErpChangesResult> {
        return asActivity(async () => {
          const { client } = Context.current();
          let cursor = input.cursor;
          let forwarded = 0;
          for (let page = 0; page < input.maxPages; page++) {
            const result = await erpCustomers.listCustomerChanges({ cursor, pageSize: input.pageSize });
            for (const record of result.changes) await forwardCustomerChange(client, input.target, erpChange(record));
            forwarded += result.changes.length;
            cursor = result.nextCursor ?? cursor;
            if (!result.hasMore) return { cursor, forwarded, hasMore: false };
            Context.current().heartbeat({ cursor });
          }
          return { cursor, forwarded, hasMore: true };
        });
      },
    },
  };
}

export type CustomerMasterActivities = ReturnType<typeof createCustomerMasterActivities>;
export type CustomerMasterSalesforceActivities = CustomerMasterActivities['salesforce'];
export type CustomerMasterErpActivities = CustomerMasterActivities['erp'];
