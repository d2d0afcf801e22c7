import type { Config } from '../../config';
import { breakerOptionsFromConfig } from '../shared/breaker';
import { CarrierHttpConnector, type CarrierConnector } from './connector';

export { CarrierHttpConnector, type CarrierConnector, type CarrierHttpOptions } from './connector';

export function createCarrierConnector(config: Config): CarrierConnector {
  return new CarrierHttpConnector({
    baseUrl: config.carrier.url,
    apiKey: config.carrier.apiKey,
    timeoutMs: config.downstream.timeoutMs,
    breaker: breakerOptionsFromConfig(config.downstream),
  });
}
