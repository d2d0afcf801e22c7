import { OpenApiGeneratorV3, OpenAPIRegistry, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiConfig, ApiScope } from '../../config/api';
import { API_KEY_HEADER } from './auth';
import { API_MAJOR_VERSION, deprecationNote, type LifecycleTable } from './lifecycle';
import { parseInput } from './problems';
import { ProblemSchema } from './schemas/common';
import { z } from './schemas/zod';

type Parsed<S> = S extends z.ZodType ? z.infer<S> : undefined;

/**
 * One API operation, declared once: the Fastify route and its OpenAPI entry are both made from it,
 * so the spec Salesforce imports cannot drift from what the server accepts.
 */
export interface Operation<
  P extends z.ZodObject | undefined = z.ZodObject | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  R extends z.ZodType = z.ZodType,
  Q extends z.ZodObject | undefined = z.ZodObject | undefined,
> {
  operationId: string;
  method: 'get' | 'post';
  /** OpenAPI path template, e.g. /v1/processes/{workflowId}. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  scope: ApiScope;
  params?: P;
  /** Query-string parameters (each optional, with its default in the schema). */
  query?: Q;
  body?: B;
  /** Accepts the Idempotency-Key header. */
  idempotencyHeader?: boolean;
  /** The answer; text/plain for text served as is (External Services reads no other text type). */
  success: { status: 200 | 201 | 202; description: string; schema: R; mediaType?: 'application/json' | 'text/plain' };
  /** A cacheable read: its answer gets this Cache-Control and an ETag, and a matching If-None-Match answers 304; undefined for an answer not to cache (no-store). */
  cacheControl?: string | ((answer: z.infer<R>) => string | undefined);
  /** The problem statuses this operation can answer besides the common ones (400, 401, 403, 429, 500). */
  problems?: number[];
  handle(input: { params: Parsed<P>; query: Parsed<Q>; body: Parsed<B>; request: FastifyRequest; reply: FastifyReply }): Promise<z.input<R>>;
}

/** Keeps the operation's generic types (a plain object literal would widen them). */
export function operation<P extends z.ZodObject | undefined, B extends z.ZodType | undefined, R extends z.ZodType, Q extends z.ZodObject | undefined = undefined>(op: Operation<P, B, R, Q>): Operation<P, B, R, Q> {
  return op;
}

export function mountOperation(app: FastifyInstance, op: Operation): void {
  app.route({
    method: op.method.toUpperCase() as 'GET' | 'POST',
    url: op.path.replace(/\{(\w+)\}/g, ':$1'),
    config: { scope: op.scope },
    handler: async (request, reply) => {
      const params = op.params ? parseInput(op.params, request.params, 'path') : undefined;
      const query = op.query ? parseInput(op.query, request.query, 'query') : undefined;
      const body = op.body ? parseInput(op.body, request.body, 'body') : undefined;
      const result = await op.handle({ params, query, body, request, reply });
      // The response is parsed too: only the documented fields leave the API.
      const answer = op.success.schema.parse(result);
      const cacheControl = typeof op.cacheControl === 'function' ? op.cacheControl(answer) : op.cacheControl;
      if (cacheControl) {
        // A strong ETag of the exact answer: a caller revalidating an unchanged answer gets 304 without the body.
        const etag = `"${createHash('sha256').update(JSON.stringify(answer)).digest('base64url').slice(0, 27)}"`;
        reply.header('cache-control', cacheControl).header('etag', etag);
        if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send();
      } else if (op.cacheControl) reply.header('cache-control', 'no-store');
      return reply.code(op.success.status).send(answer);
    },
  });
}

/** If-None-Match: `*`, or a list of ETags (weak ones compared weakly, RFC 9110 §13.1.2). */
function matchesEtag(header: string | string[] | undefined, etag: string): boolean {
  if (!header) return false;
  const tags = (Array.isArray(header) ? header.join(',') : header).split(',').map((t) => t.trim().replace(/^W\//, ''));
  return tags.includes('*') || tags.includes(etag);
}

export const SECURITY_SCHEME = 'ApiKey';

const problemDescriptions: Record<number, string> = {
  400: 'Invalid request (field errors in `errors`)',
  401: 'No API key, or an unknown one',
  403: 'The API key lacks the operation\'s scope',
  404: 'No such process or resource',
  409: 'Conflict: the process is closed, or the idempotency key was used with another request',
  410: 'The operation is retired (past its Sunset date); `successor` names what replaces it',
  413: 'Request body too large',
  415: 'The body is not JSON (Content-Type)',
  422: 'The process refused the request (`reason` names why)',
  429: 'Rate limit exceeded (see Retry-After)',
  500: 'Unexpected error (quote requestId)',
  501: 'Not available in this deployment',
  503: 'Temporal or a downstream system unavailable',
  504: 'The process did not answer in time',
};
const commonProblems = [400, 401, 403, 429, 500, 503];

/** The OpenAPI 3.0 document of the operations: named component schemas, operationIds, the API-key scheme. */
export function openApiDocument(operations: Operation[], api: ApiConfig, lifecycle: LifecycleTable = new Map()): ReturnType<OpenApiGeneratorV3['generateDocument']> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', SECURITY_SCHEME, { type: 'apiKey', in: 'header', name: 'X-API-Key', description: `API key (header ${API_KEY_HEADER}), set by the Named Credential` });
  const idempotencyHeader = z.object({
    'Idempotency-Key': z.string().min(1).max(255).optional().openapi({ description: 'Repeat a request safely: the same key and request answer the same process; another request under the key is a 409' }),
  });
  for (const op of operations) {
    const deprecation = lifecycle.get(op.operationId);
    // An operation with a body answers 415 when the Content-Type is not JSON; one with a sunset answers 410 after it.
    const problems = [...new Set([...commonProblems, ...(op.body ? [415] : []), ...(deprecation?.sunsetAt ? [410] : []), ...(op.problems ?? [])])].sort();
    const responses: Record<string, ResponseConfig> = {
      [op.success.status]: { description: op.success.description, content: { [op.success.mediaType ?? 'application/json']: { schema: op.success.schema } } },
    };
    if (op.cacheControl) responses[304] = { description: 'Not modified: the If-None-Match ETag is still current' };
    // Declared as application/json, the only JSON type External Services imports; problem+json stays available through Accept.
    for (const status of problems) responses[status] = { description: problemDescriptions[status] ?? 'Error', content: { 'application/json': { schema: ProblemSchema } } };
    registry.registerPath({
      method: op.method,
      path: op.path,
      operationId: op.operationId,
      tags: [op.tag],
      summary: op.summary,
      description: deprecation ? [op.description, deprecationNote(deprecation)].filter(Boolean).join(' ') : op.description,
      deprecated: deprecation ? true : undefined,
      security: [{ [SECURITY_SCHEME]: [] }],
      request: {
        params: op.params,
        query: op.query,
        headers: op.idempotencyHeader ? idempotencyHeader : undefined,
        body: op.body ? { required: true, content: { 'application/json': { schema: op.body } } } : undefined,
      },
      responses,
    });
  }
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'retail-orchestrator API',
      // The major version is the path's (/v1/…); minor releases only add.
      version: `${API_MAJOR_VERSION}.0.0`,
      description: 'Start and steer the durable customer-service processes (case resolution, refund, replacement) from Salesforce Flows, Apex or any HTTP client.',
    },
    servers: api.publicUrl ? [{ url: api.publicUrl }] : undefined,
    tags: [
      { name: 'processes', description: 'Start, read and steer processes' },
      { name: 'cases', description: 'A case\'s processes by Case Number, for Salesforce Flows' },
      { name: 'orders', description: 'Order information for the agent\'s screen' },
      { name: 'master-data', description: 'Customer lookup, inventory availability, prices and return authorization' },
    ],
  });
}
