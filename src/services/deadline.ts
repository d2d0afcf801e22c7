import { RetryableDownstreamError, type SystemName } from '../domain/errors';

/**
 * Settles with the call, or rejects with a TimeoutError once `ms` have passed: a customer-facing
 * read must answer on time even when a socket stays open (the late result is dropped).
 */
export function withDeadline<T>(system: SystemName, operation: string, ms: number, call: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RetryableDownstreamError('TimeoutError', { system, operation, code: 'DEADLINE', message: `no answer within ${ms} ms` })), ms);
    call().then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
