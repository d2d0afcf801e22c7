import type { Config } from '../../config';
import { breakerOptionsFromConfig } from '../shared/breaker';
import { SalesforceConnector } from './connector';

export { SalesforceConnector, idempotencyMarker, type BulkOptions, type SalesforceConnectorOptions } from './connector';
export { OrderStatusUpdateSchema, type OrderStatusUpdate, type OrderUpsertResult, type BulkOrderUpsertResult } from './order-status';
export { classifySalesforceError } from './classify';

/** The Salesforce connector for this configuration (login URL, grant, API version, breaker settings). */
export function createSalesforceConnector(config: Config): SalesforceConnector {
  return new SalesforceConnector({
    loginUrl: config.salesforce.loginUrl,
    apiVersion: config.salesforce.apiVersion,
    grant: config.salesforce.grant,
    clientId: config.salesforce.clientId,
    clientSecret: config.salesforce.clientSecret,
    username: config.salesforce.username,
    password: config.salesforce.password,
    timeoutMs: config.downstream.timeoutMs,
    breaker: breakerOptionsFromConfig(config.downstream),
  });
}
