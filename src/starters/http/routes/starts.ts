import type { FastifyRequest } from 'fastify';
import type { StartedProcess } from '../../../client';
import { createCaseStarts, type CaseStartOptions } from '../../../services/case-starts';
import { IdempotencyKeys } from '../idempotency';
import { operation, type Operation } from '../operations';
import { Problem } from '../problems';
import { StartedProcessSchema } from '../schemas/common';
import { CaseResolutionStartSchema, RefundStartSchema, ReplacementStartSchema } from '../schemas/starts';
import { statusUrl, type RouteDeps } from './deps';

/** POST /v1/case-resolutions, /v1/refunds, /v1/replacements: idempotent starts answering 202. */
export function startOperations(deps: RouteDeps): Operation[] {
  const { client, config, logger, caseFacts } = deps;
  const { orchestration: taskQueue, salesforce, erp, warehouse, payments } = config.taskQueues;
  const keys = new IdempotencyKeys(client, { ttlMs: deps.api.idempotencyTtlMs, taskQueue });
  const taskQueues = { salesforce, erp, warehouse, payments };

  /** Runs a start once per idempotency key (header or body); without a key the case alone makes it idempotent. */
  const once = async (request: FastifyRequest, operationId: string, body: { idempotencyKey?: string }, start: (options: CaseStartOptions) => Promise<StartedProcess>) => {
    const key = idempotencyKeyOf(request, body.idempotencyKey);
    const { idempotencyKey: _ignored, ...fields } = body;
    const started = key ? await keys.run(String(request.principal?.name), key, { operationId, fields }, (idempotencyKey) => start({ idempotencyKey })) : await start({});
    logger.info(started.existing ? 'process already existed' : 'process started', { requestId: request.id, workflowId: started.workflowId, runId: started.runId, operationId });
    return { ...started, statusUrl: statusUrl(started.workflowId) };
  };

  const starts = createCaseStarts(client, caseFacts, { orchestration: taskQueue, systems: taskQueues });
  const startProblems = [404, 409, 413, 422, 503];

  return [
    operation({
      operationId: 'startCaseResolution',
      method: 'post',
      path: '/v1/case-resolutions',
      tag: 'processes',
      summary: 'Start resolving a case',
      description: 'Reads the Case (and its order) first: an unknown case is 404, a case without an order 422. Starts case-resolution/{caseNumber} unless the case already has one (then answers that one, existing: true).',
      scope: 'start',
      body: CaseResolutionStartSchema,
      idempotencyHeader: true,
      problems: startProblems,
      success: { status: 202, description: 'The process (started now or earlier)', schema: StartedProcessSchema },
      handle: async ({ body, request, reply }) => {
        const result = await once(request, 'startCaseResolution', body, (options) => starts.caseResolution(body, options));
        reply.header('location', result.statusUrl);
        return result;
      },
    }),
    operation({
      operationId: 'startRefund',
      method: 'post',
      path: '/v1/refunds',
      tag: 'processes',
      summary: 'Start a refund for a case',
      description:
        'Reads the Case, its order and payment first and checks the lines against what is left to refund (404/422/503 before anything starts). Starts refund/{caseNumber} unless the case already has one (a case is never refunded twice).',
      scope: 'start',
      body: RefundStartSchema,
      idempotencyHeader: true,
      problems: startProblems,
      success: { status: 202, description: 'The process (started now or earlier)', schema: StartedProcessSchema },
      handle: async ({ body, request, reply }) => {
        const result = await once(request, 'startRefund', body, (options) => starts.refund(body, options));
        reply.header('location', result.statusUrl);
        return result;
      },
    }),
    operation({
      operationId: 'startReplacement',
      method: 'post',
      path: '/v1/replacements',
      tag: 'processes',
      summary: 'Start a replacement shipment for a case',
      description:
        'Reads the Case and its order first, checks the lines (ordered SKU or an allowed substitute, within what is left) and that one warehouse holds them (404/422/503 before anything starts). Starts replacement/{caseNumber} unless the case already has one.',
      scope: 'start',
      body: ReplacementStartSchema,
      idempotencyHeader: true,
      problems: startProblems,
      success: { status: 202, description: 'The process (started now or earlier)', schema: StartedProcessSchema },
      handle: async ({ body, request, reply }) => {
        const result = await once(request, 'startReplacement', body, (options) => starts.replacement(body, options));
        reply.header('location', result.statusUrl);
        return result;
      },
    }),
  ];
}

/** The Idempotency-Key header, or the body's idempotencyKey (a Flow HTTP Callout cannot set headers). */
export function idempotencyKeyOf(request: FastifyRequest, inBody: string | undefined): string | undefined {
  const header = request.headers['idempotency-key'];
  if (header !== undefined && (typeof header !== 'string' || header.length < 1 || header.length > 255)) {
    throw new Problem(400, 'validation', 'Invalid request', 'the Idempotency-Key header must be one value of 1 to 255 characters', {
      errors: [{ path: 'header.Idempotency-Key', code: 'invalid', message: 'one value of 1 to 255 characters' }],
    });
  }
  if (header !== undefined && inBody !== undefined && header !== inBody) {
    throw new Problem(400, 'validation', 'Invalid request', 'the Idempotency-Key header and the body\'s idempotencyKey differ', {
      errors: [{ path: 'body.idempotencyKey', code: 'conflict', message: 'differs from the Idempotency-Key header' }],
    });
  }
  return header ?? inBody;
}
