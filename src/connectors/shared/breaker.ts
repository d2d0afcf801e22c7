import CircuitBreaker from 'opossum';
import { RetryableDownstreamError, isDownstreamError, type SystemName } from '../../domain/errors';

export interface BreakerOptions {
  /** Percentage of failed calls in the rolling window that opens the circuit. */
  errorThresholdPercentage: number;
  /** Calls in the window before the percentage counts. */
  volumeThreshold: number;
  /** How long the circuit stays open before a trial call. */
  resetTimeoutMs: number;
  rollingWindowMs: number;
}

export const defaultBreakerOptions: BreakerOptions = {
  errorThresholdPercentage: 50,
  volumeThreshold: 10,
  resetTimeoutMs: 15_000,
  rollingWindowMs: 10_000,
};

type Call = () => Promise<unknown>;

/**
 * One circuit breaker per downstream system (opossum). Only failures that say the system is
 * unhealthy count (retryable ones); a 404 or a validation error is the caller's problem. While
 * open, calls fail at once with a retryable CircuitOpenError whose delay is the remaining cool-down.
 */
export class SystemBreaker {
  private readonly breaker: CircuitBreaker<[Call], unknown>;
  private openedAt = 0;

  constructor(
    readonly system: SystemName,
    private readonly options: BreakerOptions = defaultBreakerOptions,
  ) {
    this.breaker = new CircuitBreaker((call: Call) => call(), {
      timeout: false,
      errorThresholdPercentage: options.errorThresholdPercentage,
      volumeThreshold: options.volumeThreshold,
      resetTimeout: options.resetTimeoutMs,
      rollingCountTimeout: options.rollingWindowMs,
      errorFilter: (err: unknown) => isDownstreamError(err) && !err.retryable,
    });
    this.breaker.on('open', () => {
      this.openedAt = Date.now();
    });
  }

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.breaker.halfOpen) return 'half-open';
    return this.breaker.opened ? 'open' : 'closed';
  }

  /** Remaining cool-down while open, in ms. */
  remainingCooldownMs(now = Date.now()): number {
    return this.breaker.opened ? Math.max(0, this.openedAt + this.options.resetTimeoutMs - now) : 0;
  }

  async fire<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return (await this.breaker.fire(call)) as T;
    } catch (err) {
      if ((err as { code?: string })?.code === 'EOPENBREAKER') {
        throw new RetryableDownstreamError('CircuitOpenError', {
          system: this.system,
          operation,
          code: 'CIRCUIT_OPEN',
          message: `circuit open after repeated failures; next trial in ${this.remainingCooldownMs()} ms`,
          retryAfterMs: Math.max(this.remainingCooldownMs(), 100),
        });
      }
      throw err;
    }
  }

  shutdown(): void {
    this.breaker.shutdown();
  }
}

/** The breaker settings of config.downstream; the window is never shorter than the cool-down. */
export function breakerOptionsFromConfig(downstream: { breakerErrorPercent: number; breakerVolume: number; breakerResetMs: number }): BreakerOptions {
  return {
    errorThresholdPercentage: downstream.breakerErrorPercent,
    volumeThreshold: downstream.breakerVolume,
    resetTimeoutMs: downstream.breakerResetMs,
    rollingWindowMs: Math.max(defaultBreakerOptions.rollingWindowMs, downstream.breakerResetMs),
  };
}
