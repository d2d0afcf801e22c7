import { NonRetryableDownstreamError, RetryableDownstreamError, isDownstreamError, type DownstreamError, type NonRetryableType } from '../../domain/errors';
import { classifyStatus, parseRetryAfter } from '../shared/classify';
import type { CallTrace } from './transport';

const SYSTEM = 'salesforce' as const;

/** Salesforce errorCodes that mean "the request is wrong": retrying cannot help. */
const VALIDATION = new Set([
  'FIELD_CUSTOM_VALIDATION_EXCEPTION',
  'REQUIRED_FIELD_MISSING',
  'INVALID_FIELD',
  'INVALID_FIELD_FOR_INSERT_UPDATE',
  'INVALID_TYPE',
  'INVALID_TYPE_ON_FIELD_IN_RECORD',
  'MALFORMED_ID',
  'MALFORMED_QUERY',
  'INVALID_QUERY_FILTER_OPERATOR',
  'INVALID_CROSS_REFERENCE_KEY',
  'FIELD_INTEGRITY_EXCEPTION',
  'STRING_TOO_LONG',
  'JSON_PARSER_ERROR',
  'MISSING_ARGUMENT',
  'NUMBER_OUTSIDE_VALID_RANGE',
  'EXCEEDED_ID_LIMIT',
  'INVALIDJOB',
  'INVALIDBATCH',
  'INVALIDJOBSTATE',
  'UNSUPPORTED_MEDIA_TYPE',
  'MULTIPLE_CHOICES',
]);
const NOT_FOUND = new Set(['NOT_FOUND', 'ENTITY_IS_DELETED']);
const ACCESS = new Set(['INSUFFICIENT_ACCESS', 'INSUFFICIENT_ACCESS_OR_READONLY', 'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY', 'INVALID_SESSION_ID', 'API_DISABLED_FOR_ORG', 'INVALID_AUTH_HEADER', 'invalid_client', 'invalid_client_id', 'invalid_grant', 'unsupported_grant_type']);
const BUSINESS = new Set(['DUPLICATE_VALUE', 'DUPLICATES_DETECTED', 'ENTITY_IS_LOCKED', 'CANNOT_EXECUTE_FLOW_TRIGGER']);
// A released query cursor (more than 10 open per user): the query is run again from the start.
const UNAVAILABLE = new Set(['INVALID_QUERY_LOCATOR', 'UNABLE_TO_LOCK_ROW', 'SERVER_UNAVAILABLE', 'UNKNOWN_EXCEPTION', 'SERVICE_UNAVAILABLE']);
const TIMEOUT = new Set(['REQUEST_RUNNING_TOO_LONG', 'QUERY_TIMEOUT']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * Salesforce's REQUEST_LIMIT_EXCEEDED comes as 403 without Retry-After, so the connector picks the
 * wait itself: exponential in the number of limit answers in a row, from a base that fits the
 * limit (concurrent long-running requests clear in seconds, the rolling 24 h allowance does not).
 */
export const CONCURRENT_LIMIT_DELAY_MS = 2_000;
export const DAILY_LIMIT_DELAY_MS = 5 * 60_000;
const RATE_LIMIT_DELAY_MS = 5_000;
const LIMIT_BACKOFF_CAP_MS = { concurrent: 60_000, daily: 60 * 60_000, other: 5 * 60_000 } as const;

/** The wait before the next attempt after `streak` limit answers in a row before this one. */
export function limitBackoffMs(message: string, streak: number): number {
  const kind = /TotalRequests/i.test(message) ? 'daily' : /Concurrent/i.test(message) ? 'concurrent' : 'other';
  const base = kind === 'daily' ? DAILY_LIMIT_DELAY_MS : kind === 'concurrent' ? CONCURRENT_LIMIT_DELAY_MS : RATE_LIMIT_DELAY_MS;
  return Math.min(LIMIT_BACKOFF_CAP_MS[kind], base * 2 ** Math.min(streak, 20));
}

interface JsforceError {
  name?: string;
  message?: string;
  errorCode?: string;
  code?: string;
  type?: string;
}

/**
 * jsforce failure → typed downstream error, by Salesforce errorCode first (jsforce drops the HTTP
 * status), then by the status and Retry-After the transport saw, then by network error code.
 */
export function classifySalesforceError(operation: string, err: unknown, trace: CallTrace | undefined, limitStreak = 0): DownstreamError {
  if (isDownstreamError(err)) return err;
  if (trace?.grantError) return trace.grantError;
  const e = (err ?? {}) as JsforceError;
  const status = trace?.lastResponse?.status;
  const retryAfterMs = parseRetryAfter(trace?.lastResponse?.headers?.['retry-after']);
  const message = e.message ?? String(err);
  const code = e.errorCode ?? e.code ?? e.name;
  const init = { system: SYSTEM, operation, status, code, message, cause: err };
  const nonRetryable = (type: NonRetryableType) => new NonRetryableDownstreamError(type, init);

  // Network and timeouts first: a reset leaves a stale lastResponse from an earlier exchange.
  if (e.name === 'AbortError' || e.type === 'aborted' || e.code === 'ETIMEDOUT' || e.type === 'request-timeout') {
    return new RetryableDownstreamError('TimeoutError', { ...init, code: e.code ?? 'TIMEOUT' });
  }
  if (e.name === 'FetchError' || (e.code && NETWORK.has(e.code))) {
    return new RetryableDownstreamError('DownstreamUnavailableError', { ...init, code: e.code ?? 'NETWORK' });
  }

  if (code === 'REQUEST_LIMIT_EXCEEDED') {
    return new RetryableDownstreamError('RateLimitedError', { ...init, retryAfterMs: retryAfterMs ?? limitBackoffMs(message, limitStreak) });
  }
  if (status === 429 || status === 420) return new RetryableDownstreamError('RateLimitedError', { ...init, retryAfterMs: retryAfterMs ?? RATE_LIMIT_DELAY_MS });
  if (code && UNAVAILABLE.has(code)) return new RetryableDownstreamError('DownstreamUnavailableError', { ...init, retryAfterMs });
  if (code && TIMEOUT.has(code)) return new RetryableDownstreamError('TimeoutError', { ...init, retryAfterMs });
  if (code && NOT_FOUND.has(code)) return nonRetryable('NotFoundError');
  if (code && VALIDATION.has(code)) return nonRetryable('ValidationError');
  if (code && ACCESS.has(code)) return nonRetryable('AuthorizationError');
  if (code && BUSINESS.has(code)) return nonRetryable('BusinessRejectionError');
  if (status !== undefined && status >= 400) return classifyStatus(SYSTEM, operation, status, { code, message }, retryAfterMs);
  const httpStatus = /^ERROR_HTTP_(\d{3})$/.exec(code ?? '');
  if (httpStatus) return classifyStatus(SYSTEM, operation, Number(httpStatus[1]), { code, message }, retryAfterMs);
  return new RetryableDownstreamError('DownstreamUnavailableError', init);
}

/**
 * One record's error from an sObject Collections answer, classified as the same record's own
 * request would be (those answer 400 with the error body), with the fields Salesforce named.
 */
export function classifyRecordError(operation: string, errors: { statusCode: string; message: string; fields?: string[] }[]): DownstreamError {
  const [first] = errors;
  if (!first) return new RetryableDownstreamError('DownstreamUnavailableError', { system: SYSTEM, operation, message: 'the record failed without an error' });
  const fields = first.fields?.length ? first.fields : undefined;
  const message = fields ? `${first.message} (fields: ${fields.join(', ')})` : first.message;
  const classified = classifySalesforceError(operation, { name: first.statusCode, errorCode: first.statusCode, message }, { lastResponse: { status: 400, headers: {} } });
  return fields ? withFields(classified, fields) : classified;
}

function withFields(err: DownstreamError, fields: string[]): DownstreamError {
  const init = { system: err.system, operation: err.operation, status: err.status, code: err.code, message: err.message.replace(/^salesforce \S+: /, ''), details: { ...err.details, fields } };
  return err instanceof RetryableDownstreamError ? new RetryableDownstreamError(err.type, { ...init, retryAfterMs: err.retryAfterMs }) : new NonRetryableDownstreamError(err.type as NonRetryableType, init);
}
