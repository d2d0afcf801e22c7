import type { Config } from '../../config';
import { PaymentsHttpConnector, type PaymentsConnector } from './connector';

export { PaymentsHttpConnector, type PaymentsConnector, type PaymentsHttpOptions } from './connector';

export function createPaymentsConnector(config: Config): PaymentsConnector {
  const { timeoutMs, breakerErrorPercent, breakerVolume, breakerResetMs } = config.downstream;
  return new PaymentsHttpConnector({
    baseUrl: config.payments.url,
    apiKey: config.payments.apiKey,
    timeoutMs,
    breaker: { errorThresholdPercentage: breakerErrorPercent, volumeThreshold: breakerVolume, resetTimeoutMs: breakerResetMs, rollingWindowMs: Math.max(10_000, breakerResetMs) },
  });
}
