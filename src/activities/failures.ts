import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { isDownstreamError } from '../domain/errors';

const HEARTBEAT_EVERY_MS = 2_000;

/**
 * Runs a connector call inside an activity: heartbeats while the call is in flight (so a worker
 * killed mid-call is noticed at the heartbeat timeout, in seconds, not at start-to-close) and turns
 * a classified downstream error into the Temporal failure it means: the same type name,
 * non-retryable, or retryable with nextRetryDelay (Retry-After, or an open breaker's remaining
 * cool-down). The retry policy's limits still apply.
 */
export async function asActivity<T>(call: () => Promise<T>): Promise<T> {
  const context = currentContext();
  const timer = context ? setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS) : undefined;
  try {
    // No heartbeat at the start: each one sent is a billable action, and the server's heartbeat timeout runs from the start anyway.
    return await call();
  } catch (err) {
    throw toApplicationFailure(err);
  } finally {
    if (timer) clearInterval(timer);
  }
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // Called outside an activity (a plain test).
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
