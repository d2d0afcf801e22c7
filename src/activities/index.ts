import type { Config } from '../config';
import { loadResolutionPolicy, type ResolutionPolicySource } from '../config/policy';
import { createOrderWriteCoalescer, createSalesforceConnector } from '../connectors/salesforce';
import { createPubSubConnector } from '../connectors/salesforce-pubsub';
import { createErpConnector, createErpPricingConnector } from '../connectors/erp';
import { createWarehouseConnector } from '../connectors/warehouse';
import { createCarrierConnector } from '../connectors/carrier';
import { createPaymentsConnector } from '../connectors/payments';
import { createSalesforceActivities, type SalesforceActivities } from './salesforce';
import { createErpActivities, type ErpActivities } from './erp';
import { createWarehouseActivities, type WarehouseActivities } from './warehouse';
import { createPaymentsActivities, type PaymentsActivities } from './payments';
import { createPolicyActivities, type PolicyActivities } from './policy';
import { createReconciliationActivities, type ReconciliationActivities } from './reconciliation';
import { createCustomerMasterActivities, type CustomerMasterErpActivities, type CustomerMasterSalesforceActivities } from './customer-master';
import { createErpCustomerMaster } from '../connectors/erp/customers';
import { createErpPricingActivities, createSalesforcePricingActivities, type ErpPricingActivities, type SalesforcePricingActivities } from './pricing';

export type { ErpPricingActivities, SalesforcePricingActivities };
export type { SalesforceActivities, ErpActivities, WarehouseActivities, PaymentsActivities, PolicyActivities, ReconciliationActivities };

/** The activities of each system task queue; the warehouse queue also carries the carrier's. */
export interface SystemActivities {
  salesforce: SalesforceActivities & CustomerMasterSalesforceActivities & SalesforcePricingActivities;
  erp: ErpActivities & CustomerMasterErpActivities & ErpPricingActivities;
  warehouse: WarehouseActivities;
  payments: PaymentsActivities;
  /** Activities of the orchestration worker: the resolution policy (local) and reconciliation's read of a day, which joins three systems. */
  orchestration: PolicyActivities & ReconciliationActivities;
  /** Sends any order writes still gathering, then releases the connectors (sessions, keep-alive sockets, breaker timers); for after the workers drained. */
  close: () => Promise<void>;
}

/**
 * Builds every connector from the config and the activity maps over them, one per system queue.
 * The resolution policy is loaded (and validated) here unless given: RESOLUTION_POLICY_FILE / RESOLUTION_POLICY.
 */
export function buildActivities(config: Config, options: { policy?: ResolutionPolicySource } = {}): SystemActivities {
  const policy = options.policy ?? loadResolutionPolicy();
  const salesforce = createSalesforceConnector(config);
  const pubsub = createPubSubConnector(config, salesforce);
  const orderWrites = createOrderWriteCoalescer(config, salesforce);
  const erp = createErpConnector(config);
  const erpPricing = createErpPricingConnector(config);
  const warehouse = createWarehouseConnector(config);
  const carrier = createCarrierConnector(config);
  const payments = createPaymentsConnector(config);
  const erpCustomers = createErpCustomerMaster(config);
  const customerMaster = createCustomerMasterActivities({ salesforce, erpCustomers });
  return {
    salesforce: { ...createSalesforceActivities(salesforce, pubsub, orderWrites), ...customerMaster.salesforce, ...createSalesforcePricingActivities(salesforce) },
    erp: { ...createErpActivities(erp), ...customerMaster.erp, ...createErpPricingActivities(erpPricing) },
    warehouse: createWarehouseActivities(warehouse, carrier),
    payments: createPaymentsActivities(payments),
    orchestration: { ...createPolicyActivities(policy), ...createReconciliationActivities({ salesforce, erp, payments }) },
    close: async () => {
      await orderWrites?.flush();
      for (const connector of [salesforce, pubsub, erp, erpCustomers, erpPricing, warehouse, carrier, payments]) connector.shutdown();
    },
  };
}
