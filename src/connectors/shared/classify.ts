import { isAxiosError } from 'axios';
import type { ZodType } from 'zod';
import {
  NonRetryableDownstreamError,
  RetryableDownstreamError,
  isDownstreamError,
  type DownstreamError,
  type SystemName,
} from '../../domain/errors';

/** What a system's error body says, in the system's own dialect. */
export interface ErrorDetail {
  code?: string;
  message?: string;
}
export type ErrorBodyReader = (body: unknown) => ErrorDetail;

/** Retry-After as seconds or an HTTP date → milliseconds. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_SOCKET_CONNECTION_TIMEOUT']);
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED']);

/**
 * HTTP status → error class, per ARCHITECTURE.md: validation, 404 and business rejections are
 * non-retryable with a named type; 408, 429, 5xx and network errors are retryable and carry
 * Retry-After as the next delay.
 */
export function classifyStatus(
  system: SystemName,
  operation: string,
  status: number,
  detail: ErrorDetail,
  retryAfterMs?: number,
): DownstreamError {
  const init = { system, operation, status, code: detail.code, message: detail.message ?? `HTTP ${status}` };
  if (status === 408 || status === 504) return new RetryableDownstreamError('TimeoutError', { ...init, retryAfterMs });
  if (status === 429) return new RetryableDownstreamError('RateLimitedError', { ...init, retryAfterMs });
  if (status >= 500) return new RetryableDownstreamError('DownstreamUnavailableError', { ...init, retryAfterMs });
  if (status === 404 || status === 410) return new NonRetryableDownstreamError('NotFoundError', init);
  if (status === 401 || status === 403) return new NonRetryableDownstreamError('AuthorizationError', init);
  if (status === 409 && detail.code?.startsWith('idempotency')) {
    // A key still in flight is worth retrying; a key reused with other parameters never is.
    return detail.code === 'idempotency_key_in_use'
      ? new RetryableDownstreamError('DownstreamUnavailableError', { ...init, retryAfterMs: retryAfterMs ?? 1000 })
      : new NonRetryableDownstreamError('IdempotencyConflictError', init);
  }
  if (status === 400 || status === 422) return new NonRetryableDownstreamError('ValidationError', init);
  // Redirects are not followed (src/connectors/shared/http.ts): the configured address is not the system's.
  if (status >= 300 && status < 400) return new NonRetryableDownstreamError('ConfigurationError', init);
  return new NonRetryableDownstreamError('BusinessRejectionError', init);
}

/** Any thrown value from an axios call → a typed downstream error. */
export function classifyAxiosError(system: SystemName, operation: string, err: unknown, readBody: ErrorBodyReader): DownstreamError {
  if (isDownstreamError(err)) return err;
  if (isAxiosError(err)) {
    if (err.response) {
      const retryAfterMs = parseRetryAfter(err.response.headers?.['retry-after']);
      const { status } = err.response;
      const location: unknown = err.response.headers?.location;
      if (status >= 300 && status < 400)
        return classifyStatus(system, operation, status, { message: `HTTP ${status}, redirected${typeof location === 'string' ? ` to ${location}` : ''}: redirects are not followed; point the ${system} base URL at the system itself` });
      return classifyStatus(system, operation, status, readBody(err.response.data), retryAfterMs);
    }
    const code = err.code ?? '';
    if (TIMEOUT_CODES.has(code)) return new RetryableDownstreamError('TimeoutError', { system, operation, code, message: err.message, cause: err });
    if (NETWORK_CODES.has(code) || !code || code === 'ERR_NETWORK')
      return new RetryableDownstreamError('DownstreamUnavailableError', { system, operation, code, message: err.message, cause: err });
  }
  return new RetryableDownstreamError('DownstreamUnavailableError', { system, operation, message: (err as Error)?.message ?? String(err), cause: err });
}

/** Validates a downstream response into the canonical shape; a contract break is not retried. */
export function parseResponse<T>(system: SystemName, operation: string, schema: ZodType<T>, data: unknown): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new NonRetryableDownstreamError('ValidationError', {
    system,
    operation,
    code: 'INVALID_RESPONSE',
    message: `unexpected response shape: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
  });
}
