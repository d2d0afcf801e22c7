import type { Config } from '../../config';
import { breakerOptionsFromConfig } from '../shared/breaker';
import { CloudErpAdapter } from './cloud-adapter';
import { LegacyErpAdapter } from './legacy-adapter';
import { RoutedErpConnector } from './routing';
import type { ErpConnector } from './port';

export type { ErpConnector, ErpFinancePort } from './port';
export { CloudErpAdapter } from './cloud-adapter';
export { LegacyErpAdapter } from './legacy-adapter';
export { RoutedErpConnector } from './routing';
export { ErpPricingConnector, createErpPricingConnector } from './pricing';

export interface ErpConnectorOptions {
  /** Page size for list calls that fetch every page (tests use small pages to exercise paging). */
  pageSize?: number;
}

/** The ERP connector the workers use: cloud and legacy adapters behind capability routing. */
export function createErpConnector(config: Config, options: ErpConnectorOptions = {}): ErpConnector {
  const breaker = breakerOptionsFromConfig(config.downstream);
  const cloud = new CloudErpAdapter({ baseUrl: config.erp.cloudUrl, apiKey: config.erp.cloudApiKey, timeoutMs: config.downstream.timeoutMs, breaker, pageSize: options.pageSize });
  const legacy = new LegacyErpAdapter({
    baseUrl: config.erp.legacyUrl,
    user: config.erp.legacyUser,
    password: config.erp.legacyPassword,
    timeoutMs: config.downstream.timeoutMs,
    breaker,
    pageSize: options.pageSize,
  });
  try {
    return new RoutedErpConnector(cloud, legacy, config.erp.routing);
  } catch (err) {
    cloud.shutdown();
    legacy.shutdown();
    throw err;
  }
}
