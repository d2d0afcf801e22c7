import { ActivityFailure, ApplicationFailure, TimeoutFailure, proxyActivities, type ActivityInterfaceFor, type ActivityOptions } from '@temporalio/workflow';

/** Which of proxyWithAlert's two proxies a call goes through. */
export type ProxyKind = 'bounded' | 'patient';

/**
 * Two proxies over the same activities: `bounded` gives up after the policy's alert threshold so the
 * workflow can raise its alert; `patient` then retries without limit until the system recovers.
 * Both honour nextRetryDelay (Retry-After, an open breaker's cool-down).
 */
export function proxyWithAlert<A extends object>(options: ActivityOptions, alertAfterAttempts: number): { bounded: ActivityInterfaceFor<A>; patient: ActivityInterfaceFor<A> } {
  return {
    bounded: proxyActivities<A>({ ...options, retry: { ...options.retry, maximumAttempts: alertAfterAttempts } }),
    // Infinity, not 0: the SDK refuses 0 ("must be a positive integer") and drops Infinity, which the server reads as unlimited.
    patient: proxyActivities<A>({ ...options, retry: { ...options.retry, maximumAttempts: Number.POSITIVE_INFINITY } }),
  };
}

/** True when the failure means "the system kept failing", not "the system said no". */
export function isExhaustedRetry(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) return !cause.nonRetryable;
  return cause instanceof TimeoutFailure;
}

/** The named type at the bottom of a failure chain (workflows branch on types, never on messages). */
export function failureType(err: unknown): string | undefined {
  let current: unknown = err;
  while (current instanceof ActivityFailure) current = current.cause;
  if (current instanceof ApplicationFailure) return current.type ?? undefined;
  if (current instanceof TimeoutFailure) return `Timeout:${current.timeoutType ?? ''}`;
  return current instanceof Error ? current.name : undefined;
}

/**
 * Runs a step that must eventually succeed: first with bounded attempts; when they are spent on
 * retryable failures, raises one alert and keeps going with unlimited retries. A non-retryable
 * failure (a rejection) is thrown to the caller at once.
 */
export async function untilSucceeded<T>(step: string, run: (proxy: ProxyKind) => Promise<T>, alert: (step: string, err: unknown) => Promise<void>): Promise<T> {
  try {
    return await run('bounded');
  } catch (err) {
    if (!isExhaustedRetry(err)) throw err;
    await alert(step, err);
    return run('patient');
  }
}
