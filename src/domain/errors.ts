/**
 * Typed downstream errors. Connectors classify every failure into one of these; activities turn
 * them into Temporal failures (retryable with a delay, or non-retryable with the same type name).
 * No Temporal import here: the domain stays free of I/O and of the engine.
 */
export type SystemName = 'salesforce' | 'erp' | 'erp-legacy' | 'warehouse' | 'payments' | 'carrier';

/** Names of non-retryable failure types; workflows and tests match on these, never on message text. */
export const NonRetryableTypes = [
  'ValidationError',
  'NotFoundError',
  'BusinessRejectionError',
  'IdempotencyConflictError',
  'AuthorizationError',
  'ConfigurationError',
  // A downstream handed back a paging cursor it had already given: following it would loop forever.
  'RepeatedCursorError',
] as const;
export type NonRetryableType = (typeof NonRetryableTypes)[number];

export const RetryableTypes = ['DownstreamUnavailableError', 'RateLimitedError', 'CircuitOpenError', 'TimeoutError'] as const;
export type RetryableType = (typeof RetryableTypes)[number];

export interface DownstreamErrorInit {
  system: SystemName;
  message: string;
  status?: number;
  code?: string;
  operation?: string;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export abstract class DownstreamError extends Error {
  abstract readonly retryable: boolean;
  abstract readonly type: NonRetryableType | RetryableType;
  readonly system: SystemName;
  readonly status?: number;
  readonly code?: string;
  readonly operation?: string;
  readonly details?: Record<string, unknown>;

  constructor(init: DownstreamErrorInit) {
    super(`${init.system}${init.operation ? ` ${init.operation}` : ''}: ${init.message}`, { cause: init.cause });
    this.system = init.system;
    this.status = init.status;
    this.code = init.code;
    this.operation = init.operation;
    this.details = init.details;
  }

  get name(): string {
    return this.type;
  }
}

export class NonRetryableDownstreamError extends DownstreamError {
  readonly retryable = false;
  readonly type: NonRetryableType;
  constructor(type: NonRetryableType, init: DownstreamErrorInit) {
    super(init);
    this.type = type;
  }
}

export class RetryableDownstreamError extends DownstreamError {
  readonly retryable = true;
  readonly type: RetryableType;
  /** How long the caller should wait before the next attempt (Retry-After, breaker cool-down). */
  readonly retryAfterMs?: number;
  constructor(type: RetryableType, init: DownstreamErrorInit & { retryAfterMs?: number }) {
    super(init);
    this.type = type;
    this.retryAfterMs = init.retryAfterMs;
  }
}

export function isDownstreamError(err: unknown): err is DownstreamError {
  return err instanceof DownstreamError;
}
