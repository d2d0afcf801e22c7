import type { Config } from '../../config';
import { breakerOptionsFromConfig } from '../shared/breaker';
import { PaymentsHttpConnector, type PaymentsConnector } from './connector';

export { PaymentsHttpConnector, type PaymentsConnector, type PaymentsHttpOptions } from './connector';

export function createPaymentsConnector(config: Config): PaymentsConnector {
  return new PaymentsHttpConnector({
    baseUrl: config.payments.url,
    apiKey: config.payments.apiKey,
    timeoutMs: config.downstream.timeoutMs,
    breaker: breakerOptionsFromConfig(config.downstream),
  });
}
