import { CommanderError } from 'commander';
import { isGrpcServiceError, ScheduleNotFoundError, ServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ZodError } from 'zod';
import { ProcessClosedError, ProcessNotFoundError, UpdateRejectedError } from '../../client';
import { CaseNotFoundError, CaseRefusedError, FactsUnavailableError } from '../../services/case-errors';

/** retailctl's exit codes, the contract scripts rely on. */
export const ExitCode = { ok: 0, failed: 1, usage: 2, notFound: 3 } as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI raises itself, already carrying its exit code and a one-line message. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, ExitCode.usage);
export const notFoundError = (message: string) => new CliError(message, ExitCode.notFound);
export const failedError = (message: string) => new CliError(message, ExitCode.failed);

/** The server (or the connection to it) could not be reached; names where the address came from. */
export class UnreachableError extends CliError {
  constructor(address: string, reason: string) {
    super(`cannot reach the Temporal server at ${address} (set TEMPORAL_ADDRESS or --address): ${reason}`, ExitCode.failed);
  }
}

const grpc = { invalidArgument: 3, deadlineExceeded: 4, notFound: 5, unavailable: 14 };

/** Any error → exit code and one line for stderr; nothing here ever prints a stack trace. */
export function describeError(err: unknown, address: string): { exitCode: ExitCodeValue; message: string } {
  if (err instanceof CliError) return { exitCode: err.exitCode, message: err.message };
  if (err instanceof CommanderError) return { exitCode: err.exitCode === 0 ? ExitCode.ok : ExitCode.usage, message: err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ') };
  if (err instanceof ZodError) return { exitCode: ExitCode.usage, message: `invalid input: ${zodSummary(err)}` };
  if (err instanceof ProcessNotFoundError || err instanceof WorkflowNotFoundError) return { exitCode: ExitCode.notFound, message: err.message };
  if (err instanceof ScheduleNotFoundError) return { exitCode: ExitCode.notFound, message: `no schedule with id ${err.scheduleId}` };
  if (err instanceof ProcessClosedError) return { exitCode: ExitCode.failed, message: err.message };
  if (err instanceof CaseNotFoundError) return { exitCode: ExitCode.notFound, message: `${err.message}: nothing was started` };
  if (err instanceof CaseRefusedError) return { exitCode: ExitCode.usage, message: `refused (${err.slug}): ${err.message}; nothing was started` };
  if (err instanceof FactsUnavailableError) return { exitCode: ExitCode.failed, message: `${firstLine(err.message)}; nothing was started, retry later` };
  if (err instanceof UpdateRejectedError) {
    // The workflow judged the input itself malformed: the caller must change the invocation.
    const exitCode = err.reason === 'InvalidChoiceError' ? ExitCode.usage : ExitCode.failed;
    return { exitCode, message: `${err.update} rejected by ${err.workflowId} (${err.reason}): ${err.message}` };
  }
  if (err instanceof WorkflowUpdateFailedError) return { exitCode: ExitCode.failed, message: `update rejected (${failureType(err.cause)}): ${err.cause?.message ?? err.message}` };
  const status = grpcStatus(err);
  if (status === grpc.unavailable || status === grpc.deadlineExceeded) return { exitCode: ExitCode.failed, message: new UnreachableError(address, grpcDetails(err)).message };
  if (status === grpc.notFound) return { exitCode: ExitCode.notFound, message: grpcDetails(err) };
  if (status === grpc.invalidArgument) return { exitCode: ExitCode.usage, message: grpcDetails(err) };
  const message = err instanceof Error ? err.message : String(err);
  return { exitCode: ExitCode.failed, message: firstLine(message) };
}

function grpcStatus(err: unknown): number | undefined {
  if (isGrpcServiceError(err)) return err.code;
  if (err instanceof ServiceError && isGrpcServiceError(err.cause)) return err.cause.code;
  return undefined;
}

function grpcDetails(err: unknown): string {
  const grpcErr = err instanceof ServiceError && isGrpcServiceError(err.cause) ? err.cause : err;
  const details = isGrpcServiceError(grpcErr) ? grpcErr.details : undefined;
  return firstLine(details || (err as Error).message);
}

function failureType(cause: unknown): string {
  const type = (cause as { type?: string } | undefined)?.type;
  return type ?? (cause instanceof Error ? cause.name : 'UpdateFailed');
}

function zodSummary(err: ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
}

const firstLine = (text: string) => text.split('\n')[0].trim();
