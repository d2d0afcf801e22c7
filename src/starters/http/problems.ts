import { isGrpcServiceError } from '@temporalio/client';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ProcessClosedError, ProcessNotFoundError, UpdateRejectedError, WrongProcessTypeError } from '../../client';
import { CaseNotFoundError, CaseRefusedError, FactsUnavailableError } from '../../services/case-facts';
import { OrderNotFoundError } from '../../services/order-overview';

/**
 * RFC 9457 problem details: every error the API answers, so callers branch on `type` and `status`.
 * Served as application/json unless the caller's Accept prefers application/problem+json: Salesforce
 * External Services accepts no other JSON media type, and RFC 9457 clients still get theirs by asking.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
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
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'path' | 'query'): z.infer<S> {
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
  414: ['uri-too-long', 'URI too long'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  429: ['rate-limited', 'Too many requests'],
  503: ['unavailable', 'Service unavailable'],
};

const caseRefusalTitles: Record<CaseRefusedError['slug'], string> = {
  'case-without-order': 'Case without an order',
  'case-mismatch': 'Request does not match the Case',
  'reason-required': 'Reason required',
  'lines-refused': 'Lines refused',
  'no-stock': 'No stock for the replacement',
};

/** Any thrown error → a Problem: typed client errors, framework errors by status, Temporal outages, else 500. */
export function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  if (err instanceof ProcessNotFoundError) return new Problem(404, 'process-not-found', 'Process not found', err.message, { workflowId: err.workflowId });
  if (err instanceof ProcessClosedError) return new Problem(409, 'process-closed', 'Process closed', err.message, { workflowId: err.workflowId, processStatus: err.status });
  if (err instanceof WrongProcessTypeError) return new Problem(409, 'wrong-process-type', 'Not this kind of process', err.message, { workflowId: err.workflowId, processType: err.processType });
  if (err instanceof UpdateRejectedError) return new Problem(422, 'rejected', 'Rejected by the process', err.message, { workflowId: err.workflowId, reason: err.reason });
  if (err instanceof OrderNotFoundError) return new Problem(404, 'order-not-found', 'Order not found', err.message);
  if (err instanceof CaseNotFoundError) return new Problem(404, 'case-not-found', 'Case not found', err.message);
  if (err instanceof CaseRefusedError) {
    const line = err.refusal?.lineNumber;
    const path = err.slug === 'reason-required' ? 'body.reason' : line === undefined ? 'body.lines' : `body.lines[lineNumber=${line}]`;
    const errors = err.slug === 'lines-refused' || err.slug === 'reason-required' ? [{ path, code: 'refused', message: err.message }] : undefined;
    return new Problem(422, err.slug, caseRefusalTitles[err.slug], err.message, errors ? { errors } : {});
  }
  if (err instanceof FactsUnavailableError) return new Problem(503, 'system-unavailable', 'System unavailable', `${err.message}; nothing was started, retry later`);
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

/** The weight (q) the Accept header gives a media type: its exact entry, else type/*, else *\/*; 0 when absent. */
function acceptWeight(accept: string, mediaType: string): number {
  const [family] = mediaType.split('/');
  let best: { specificity: number; q: number } | undefined;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const specificity = range === mediaType ? 3 : range === `${family}/*` ? 2 : range === '*/*' ? 1 : 0;
    if (!specificity || (best && best.specificity >= specificity)) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    best = { specificity, q: Number.isFinite(q) ? q : 0 };
  }
  return best?.q ?? 0;
}

/** application/problem+json only for a caller that names it and prefers it to application/json. */
export function problemContentType(accept: string | undefined): string {
  if (!accept || !/application\/problem\+json/i.test(accept)) return JSON_CONTENT_TYPE;
  const problem = acceptWeight(accept, 'application/problem+json');
  return problem > 0 && problem >= acceptWeight(accept, 'application/json') ? PROBLEM_CONTENT_TYPE : JSON_CONTENT_TYPE;
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply {
  return reply
    .code(problem.status)
    // Set here too: framework errors (bad or over-long URLs) never pass the onRequest hooks.
    .header('x-request-id', request.id)
    .type(problemContentType(request.headers.accept))
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
