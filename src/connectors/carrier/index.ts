import type { Config } from '../../config';
import { CarrierHttpConnector, type CarrierConnector } from './connector';

export { CarrierHttpConnector, type CarrierConnector, type CarrierHttpOptions } from './connector';

export function createCarrierConnector(config: Config): CarrierConnector {
  const { timeoutMs, breakerErrorPercent, breakerVolume, breakerResetMs } = config.downstream;
  return new CarrierHttpConnector({
    baseUrl: config.carrier.url,
    apiKey: config.carrier.apiKey,
    timeoutMs,
    breaker: { errorThresholdPercentage: breakerErrorPercent, volumeThreshold: breakerVolume, resetTimeoutMs: breakerResetMs, rollingWindowMs: Math.max(10_000, breakerResetMs) },
  });
}
