import type { FastifyRequest } from 'fastify';
import { startCaseResolution, startRefund, startReplacement, type StartedProcess } from '../../../client';
import type { CaseContext } from '../../../workflows/lib/case-context';
import { IdempotencyKeys } from '../idempotency';
import { operation, type Operation } from '../operations';
import { Problem } from '../problems';
import { StartedProcessSchema } from '../schemas/common';
import { CaseResolutionStartSchema, RefundStartSchema, ReplacementStartSchema } from '../schemas/starts';
import { statusUrl, type RouteDeps } from './deps';

/** POST /v1/case-resolutions, /v1/refunds, /v1/replacements: idempotent starts answering 202. */
export function startOperations(deps: RouteDeps): Operation[] {
  const { client, config, logger } = deps;
  const keys = new IdempotencyKeys<StartedProcess>(deps.api.idempotencyTtlMs);
  const { orchestration: taskQueue, salesforce, erp, warehouse, payments } = config.taskQueues;
  const taskQueues = { salesforce, erp, warehouse, payments };

  /** Runs a start once per idempotency key (header or body); without a key the case alone makes it idempotent. */
  const once = async (request: FastifyRequest, operationId: string, body: { idempotencyKey?: string }, start: () => Promise<StartedProcess>) => {
    const key = idempotencyKeyOf(request, body.idempotencyKey);
    const { idempotencyKey: _ignored, ...fields } = body;
    const started = key ? await keys.run(`${request.principal?.name}:${key}`, { operationId, fields }, start) : await start();
    logger.info(started.existing ? 'process already existed' : 'process started', { requestId: request.id, workflowId: started.workflowId, runId: started.runId, operationId });
    return { ...started, statusUrl: statusUrl(started.workflowId) };
  };

  return [
    operation({
      operationId: 'startCaseResolution',
      method: 'post',
      path: '/v1/case-resolutions',
      tag: 'processes',
      summary: 'Start resolving a case',
      description: 'Starts case-resolution/{caseNumber} unless the case already has one (then answers that one, existing: true).',
      scope: 'start',
      body: CaseResolutionStartSchema,
      idempotencyHeader: true,
      problems: [409, 413],
      success: { status: 202, description: 'The process (started now or earlier)', schema: StartedProcessSchema },
      handle: async ({ body, request, reply }) => {
        const { caseNumber, idempotencyKey: _k, ...known } = body;
        const result = await once(request, 'startCaseResolution', body, () => startCaseResolution(client, { caseNumber, taskQueue, taskQueues, known }));
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
      description: 'Starts refund/{caseNumber} unless the case already has one (a case is never refunded twice).',
      scope: 'start',
      body: RefundStartSchema,
      idempotencyHeader: true,
      problems: [409, 413],
      success: { status: 202, description: 'The process (started now or earlier)', schema: StartedProcessSchema },
      handle: async ({ body, request, reply }) => {
        const input = { case: toCase(body), reason: body.reason, returnRequired: body.returnRequired, lines: body.lines, warehouseId: body.warehouseId, paymentId: body.paymentId, taskQueues };
        const result = await once(request, 'startRefund', body, () => startRefund(client, { taskQueue, input }));
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
      description: 'Starts replacement/{caseNumber} unless the case already has one.',
      scope: 'start',
      body: ReplacementStartSchema,
      idempotencyHeader: true,
      problems: [409, 413],
      success: { status: 202, description: 'The process (started now or earlier)', schema: StartedProcessSchema },
      handle: async ({ body, request, reply }) => {
        const input = { case: toCase(body), reason: body.reason, lines: body.lines, warehouseId: body.warehouseId, returnRequired: body.returnRequired, taskQueues };
        const result = await once(request, 'startReplacement', body, () => startReplacement(client, { taskQueue, input }));
        reply.header('location', result.statusUrl);
        return result;
      },
    }),
  ];
}

function toCase(b: CaseContext): CaseContext {
  const { caseId, caseNumber, orderNumber, customerId, storeId, region, segment, channel } = b;
  return { caseId, caseNumber, orderNumber, customerId, storeId, region, segment, channel };
}

/** The Idempotency-Key header, or the body's idempotencyKey (a Flow HTTP Callout cannot set headers). */
function idempotencyKeyOf(request: FastifyRequest, inBody: string | undefined): string | undefined {
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
