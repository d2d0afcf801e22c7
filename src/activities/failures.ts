import { ApplicationFailure } from '@temporalio/common';
import { isDownstreamError } from '../domain/errors';

/**
 * Runs a connector call inside an activity and turns a classified downstream error into the
 * Temporal failure it means: the same type name, non-retryable or retryable with nextRetryDelay
 * (Retry-After, or an open breaker's remaining cool-down). The retry policy's limits still apply.
 */
export async function asActivity<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toApplicationFailure(err);
  }
}

export function toApplicationFailure(err: unknown): unknown {
  if (!isDownstreamError(err)) return err;
  return ApplicationFailure.create({
    message: err.message,
    type: err.type,
    nonRetryable: !err.retryable,
    details: [{ system: err.system, status: err.status, code: err.code, operation: err.operation }],
    nextRetryDelay: err.retryable && 'retryAfterMs' in err && typeof err.retryAfterMs === 'number' ? err.retryAfterMs : undefined,
    cause: err,
  });
}
