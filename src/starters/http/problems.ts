import { isGrpcServiceError } from '@temporalio/client';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ProcessClosedError, ProcessNotFoundError, UpdateRejectedError, WrongProcessTypeError } from '../../client';
import { OrderNotFoundError } from '../../services/order-overview';

/** RFC 9457 problem details: every error the API answers, so callers branch on `type` and `status`. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
export const problemType = (slug: string) => `/problems/${slug}`;

export interface FieldError {
  path: string;
  code: string;
  message: string;
}

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

/** zod issues → field errors with a dotted path per field (one per unknown key, so each is named). */
export function fieldErrors(error: z.ZodError, where: string): FieldError[] {
  return error.issues.flatMap((issue) => {
    const base = [where, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...base, key].join('.'), code: 'unrecognized_key', message: `unknown field "${key}"` }));
    return [{ path: base.join('.'), code: issue.code, message: issue.message }];
  });
}

/** Parses input at the boundary or answers 400 with every field error. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'path'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new Problem(400, 'validation', 'Invalid request', `the request ${where} is invalid`, { errors: fieldErrors(result.error, where) });
}

const GRPC = { DEADLINE_EXCEEDED: 4, UNAVAILABLE: 14 } as const;

function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e)) return e.code;
  }
  return undefined;
}

const byStatus: Record<number, [slug: string, title: string]> = {
  400: ['bad-request', 'Bad request'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  413: ['payload-too-large', 'Request body too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  429: ['rate-limited', 'Too many requests'],
  503: ['unavailable', 'Service unavailable'],
};

/** Any thrown error → a Problem: typed client errors, framework errors by status, Temporal outages, else 500. */
export function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  if (err instanceof ProcessNotFoundError) return new Problem(404, 'process-not-found', 'Process not found', err.message, { workflowId: err.workflowId });
  if (err instanceof ProcessClosedError) return new Problem(409, 'process-closed', 'Process closed', err.message, { workflowId: err.workflowId, processStatus: err.status });
  if (err instanceof WrongProcessTypeError) return new Problem(409, 'wrong-process-type', 'Not this kind of process', err.message, { workflowId: err.workflowId, processType: err.processType });
  if (err instanceof UpdateRejectedError) return new Problem(422, 'rejected', 'Rejected by the process', err.message, { workflowId: err.workflowId, reason: err.reason });
  if (err instanceof OrderNotFoundError) return new Problem(404, 'order-not-found', 'Order not found', err.message);
  const code = grpcCode(err);
  if (code === GRPC.UNAVAILABLE) return new Problem(503, 'temporal-unavailable', 'Temporal unavailable', 'the Temporal server cannot be reached; retry later');
  if (code === GRPC.DEADLINE_EXCEEDED) return new Problem(504, 'timeout', 'Timed out', 'the process did not answer in time; it may still act on the request');
  const status = (err as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const [slug, title] = byStatus[status] ?? ['client-error', 'Client error'];
    return new Problem(status, slug, title, (err as Error).message ?? title);
  }
  return new Problem(500, 'internal', 'Internal error', 'the request failed unexpectedly; quote the request id when reporting it');
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply {
  return reply
    .code(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send({
      type: problemType(problem.slug),
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      instance: request.url.split('?')[0],
      requestId: request.id,
      ...problem.extra,
    });
}
