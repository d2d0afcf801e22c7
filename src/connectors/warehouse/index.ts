import type { Config } from '../../config';
import { breakerOptionsFromConfig } from '../shared/breaker';
import { WarehouseHttpConnector, type WarehouseConnector } from './connector';

export { WarehouseHttpConnector, type WarehouseConnector, type WarehouseHttpOptions } from './connector';

export function createWarehouseConnector(config: Config): WarehouseConnector {
  return new WarehouseHttpConnector({
    baseUrl: config.warehouse.url,
    apiKey: config.warehouse.apiKey,
    timeoutMs: config.downstream.timeoutMs,
    breaker: breakerOptionsFromConfig(config.downstream),
  });
}
