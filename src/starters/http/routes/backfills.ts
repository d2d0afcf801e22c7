import { startOrderBackfill } from '../../../client/backfill';
import { canonicalSince, MAX_BATCH_BYTES, MAX_BATCH_SIZE, MAX_PAGE_SIZE, MIN_BATCH_BYTES } from '../../../workflows/order-backfill/ids';
import { operation, type Operation } from '../operations';
import { StartedProcessSchema } from '../schemas/common';
import { z } from '../schemas/zod';
import type { RouteDeps } from './deps';
import { statusUrl } from './deps';

const isSince = (text: string) => {
  try {
    canonicalSince(text);
    return true;
  } catch {
    return false;
  }
};

export const BackfillStartSchema = z
  .strictObject({
    since: z
      .string()
      .min(10)
      .max(40)
      .refine(isSince, 'a date (YYYY-MM-DD, UTC) or an ISO timestamp')
      .openapi({ description: 'Orders changed at or after this point: a date (UTC midnight) or an ISO timestamp. The backfill\'s id is backfill/{since}', example: '2025-01-01' }),
    pageSize: z.number().int().min(1).max(MAX_PAGE_SIZE).optional().openapi({ description: 'Orders per ERP page (default 200)' }),
    batchSize: z.number().int().min(1).max(MAX_BATCH_SIZE).optional().openapi({ description: 'Rows per Salesforce Bulk API 2.0 job (default 1000)' }),
    batchBytes: z.number().int().min(MIN_BATCH_BYTES).max(MAX_BATCH_BYTES).optional().openapi({ description: 'Bytes of one job\'s rows as JSON at most (default 524288): a job is cut at whichever bound comes first' }),
  })
  .openapi('BackfillStart', { description: 'Write every order the ERP changed since a point in time to Salesforce' });

/** POST /v1/backfills: starts backfill/{since} once; its progress is GET /v1/processes/{workflowId} (stateJson). */
export function backfillOperations(deps: RouteDeps): Operation[] {
  const { client, config, logger } = deps;
  const { orchestration: taskQueue, salesforce, erp, warehouse, payments } = config.taskQueues;
  const taskQueues = { salesforce, erp, warehouse, payments };
  return [
    operation({
      operationId: 'startOrderBackfill',
      method: 'post',
      path: '/v1/backfills',
      tag: 'processes',
      summary: 'Backfill Salesforce orders from the ERP',
      description:
        'Starts backfill/{since}: pages the ERP\'s orders changed since `since` and upserts them into Salesforce through Bulk API 2.0. ' +
        'A running or completed backfill for the same point is answered as it is (existing: true); a failed one is started again. ' +
        'Progress (pages read, orders seen, written, created, updated, failed) is the stateJson of GET /v1/processes/{workflowId}.',
      scope: 'start',
      body: BackfillStartSchema,
      problems: [413],
      success: { status: 202, description: 'The backfill (started now or earlier)', schema: StartedProcessSchema },
      handle: async ({ body, request, reply }) => {
        const started = await startOrderBackfill(client, { since: body.since, pageSize: body.pageSize, batchSize: body.batchSize, batchBytes: body.batchBytes, taskQueue, taskQueues });
        logger.info(started.existing ? 'backfill already existed' : 'backfill started', { requestId: request.id, workflowId: started.workflowId, runId: started.runId });
        const result = { ...started, statusUrl: statusUrl(started.workflowId) };
        reply.header('location', result.statusUrl);
        return result;
      },
    }),
  ];
}
