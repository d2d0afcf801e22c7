import { ensureCustomerChangePoll } from '../../src/client/customer-master';
import { customerMasterConfigFromEnv } from '../../src/config/customer-master';
import { createErpCustomerMaster } from '../../src/connectors/erp/customers';
import { customerChangePollStateQuery, customerChangePollWorkflowId } from '../../src/workflows/customer-sync/definitions';
import type { Recording } from './recording';

/** The poll started at the feed's end, one ERP edit forwarded, then idle polls; stopped after a few polls. */
export const recorder = (): Recording => {
  const id = 'recorded';
  return {
    workflowId: customerChangePollWorkflowId(id),
    run: async (client, config) => {
      const erp = createErpCustomerMaster(config);
      try {
        let cursor: string | undefined;
        for (let more = true; more; ) {
          const page = await erp.listCustomerChanges({ cursor, pageSize: 500 });
          cursor = page.nextCursor ?? cursor;
          more = page.hasMore;
        }
        const customers = customerMasterConfigFromEnv({ CUSTOMER_POLL_INTERVAL: '300 ms' });
        const handle = await ensureCustomerChangePoll(client, config, customers, { id, cursor });
        const current = await erp.getCustomer('C-000031');
        await erp.updateCustomer('C-000031', { paymentTerms: current.values.paymentTerms === 'NET60' ? 'NET30' : 'NET60' }, current.version, 'recorded-edit');
        for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
          const state = await handle.query(customerChangePollStateQuery);
          if (state.forwarded >= 1 && state.polls >= 3) break;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        await handle.terminate('recorded');
      } finally {
        erp.shutdown();
      }
    },
  };
};
