/**
 * Typed outcomes of the process client functions, so the HTTP API and the CLI map them without
 * reading messages: NotFound → 404 / exit 3, Closed → 409, UpdateRejected → 422 with its reason type.
 */
export class ProcessNotFoundError extends Error {
  override readonly name = 'ProcessNotFoundError';
  readonly type = 'ProcessNotFoundError';
  constructor(readonly workflowId: string) {
    super(`no process with workflow id ${workflowId}`);
  }
}

export class ProcessClosedError extends Error {
  override readonly name = 'ProcessClosedError';
  readonly type = 'ProcessClosedError';
  constructor(
    readonly workflowId: string,
    readonly status: string,
  ) {
    super(`process ${workflowId} is already closed (${status})`);
  }
}

/** The workflow refused an update (its validator or handler threw); `reason` is the failure's type. */
export class UpdateRejectedError extends Error {
  override readonly name = 'UpdateRejectedError';
  readonly type = 'UpdateRejectedError';
  constructor(
    readonly workflowId: string,
    readonly update: string,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** The process exists but is not of a type this call may reach (an approval sent to a case resolution, a cancel of an order's sync). */
export class WrongProcessTypeError extends Error {
  override readonly name = 'WrongProcessTypeError';
  readonly type = 'WrongProcessTypeError';
  constructor(
    readonly workflowId: string,
    readonly processType: string,
    readonly expected: readonly string[],
  ) {
    super(`process ${workflowId} is a ${processType}; this call reaches ${expected.join(' or ')} processes only`);
  }
}
