import type { Config } from '../../config';
import { WarehouseHttpConnector, type WarehouseConnector } from './connector';

export { WarehouseHttpConnector, type WarehouseConnector, type WarehouseHttpOptions } from './connector';

export function createWarehouseConnector(config: Config): WarehouseConnector {
  const { timeoutMs, breakerErrorPercent, breakerVolume, breakerResetMs } = config.downstream;
  return new WarehouseHttpConnector({
    baseUrl: config.warehouse.url,
    apiKey: config.warehouse.apiKey,
    timeoutMs,
    breaker: { errorThresholdPercentage: breakerErrorPercent, volumeThreshold: breakerVolume, resetTimeoutMs: breakerResetMs, rollingWindowMs: Math.max(10_000, breakerResetMs) },
  });
}
