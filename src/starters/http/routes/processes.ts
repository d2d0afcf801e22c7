import { approveRefund, cancelProcess, caseProcessTypes, chooseResolution, describeProcess, rejectRefund, WrongProcessTypeError } from '../../../client';
import { Problem } from '../problems';
import { operation, type Operation } from '../operations';
import { WorkflowIdParamsSchema } from '../schemas/common';
import {
  ApprovalRequestSchema,
  ApprovalResultSchema,
  CancelRequestSchema,
  CancelResultSchema,
  DecisionRequestSchema,
  DecisionResultSchema,
  ProcessSchema,
  type Process,
} from '../schemas/processes';
import type { RouteDeps } from './deps';

/** GET /v1/processes/{workflowId} and the steering calls on it (approval, decision, cancel). */
export function processOperations(deps: RouteDeps): Operation[] {
  const { client, api, logger } = deps;
  // Updates wait for the workflow's answer: bounded, so a stopped worker answers 504 instead of hanging the callout.
  const bounded = <T>(fn: () => Promise<T>) => client.connection.withDeadline(Date.now() + api.updateTimeoutMs, fn);
  // 409 also when the id names another kind of process (an approval sent to a case resolution).
  const problems = [404, 409, 422, 504];
  // The server accepts a cancel request for a closed run without complaint: tell the caller it is closed.

  return [
    operation({
      operationId: 'getProcess',
      method: 'get',
      path: '/v1/processes/{workflowId}',
      tag: 'processes',
      summary: 'A process\'s business state and execution status',
      scope: 'read',
      params: WorkflowIdParamsSchema,
      problems: [404],
      success: { status: 200, description: 'The process', schema: ProcessSchema },
      handle: async ({ params }) => {
        const d = await describeProcess(client, params.workflowId);
        const attr = (name: string) => (typeof d.searchAttributes[name] === 'string' ? (d.searchAttributes[name] as string) : undefined);
        const process: Process = {
          workflowId: d.workflowId,
          runId: d.runId,
          type: d.type,
          status: d.status,
          stage: d.stage,
          caseNumber: attr('CaseNumber'),
          orderNumber: attr('OrderNumber'),
          storeId: attr('StoreId'),
          region: attr('Region'),
          summary: d.summary,
          startTime: d.startTime,
          closeTime: d.closeTime,
          stateJson: d.state === undefined ? undefined : JSON.stringify(d.state),
          stateError: d.stateError,
        };
        return process;
      },
    }),
    operation({
      operationId: 'decideRefundApproval',
      method: 'post',
      path: '/v1/processes/{workflowId}/approval',
      tag: 'processes',
      summary: 'Approve or reject a refund waiting for approval',
      scope: 'signal',
      params: WorkflowIdParamsSchema,
      body: ApprovalRequestSchema,
      problems,
      success: { status: 200, description: 'The refund accepted the decision', schema: ApprovalResultSchema },
      handle: async ({ params, body, request }) => {
        const { workflowId } = params;
        const decide = body.decision === 'approve' ? approveRefund : rejectRefund;
        const caller = request.principal?.name;
        const result = await bounded(() => decide(client, '', { approver: body.approver, note: body.note, workflowId, caller }));
        logger.info('refund approval decided', { requestId: request.id, workflowId, decision: result.decision, approver: result.approver, approverName: result.approverName, caller });
        return {
          workflowId,
          decision: result.decision,
          approver: result.approver,
          approverName: result.approverName,
          caller: result.caller,
          amount: result.amount.amount,
          currency: result.amount.currency,
          decidedAt: result.decidedAt,
        };
      },
    }),
    operation({
      operationId: 'chooseCaseResolution',
      method: 'post',
      path: '/v1/processes/{workflowId}/decision',
      tag: 'processes',
      summary: 'The agent\'s choice (refund or replacement) for a case waiting for one',
      scope: 'signal',
      params: WorkflowIdParamsSchema,
      body: DecisionRequestSchema,
      problems,
      success: { status: 200, description: 'The case accepted the choice', schema: DecisionResultSchema },
      handle: async ({ params, body, request }) => {
        const { workflowId } = params;
        const caller = request.principal?.name;
        const accepted = await bounded(() => chooseResolution(client, '', { ...body, caller }, { workflowId }));
        logger.info('case resolution chosen', { requestId: request.id, workflowId, resolution: accepted.resolution, agent: body.agent, caller });
        return { workflowId, accepted: accepted.accepted, resolution: accepted.resolution, warehouseId: accepted.warehouseId };
      },
    }),
    operation({
      operationId: 'cancelProcess',
      method: 'post',
      path: '/v1/processes/{workflowId}/cancel',
      tag: 'processes',
      summary: 'Cancel a process (it undoes what it can)',
      description: 'Case processes (caseResolution, refund, replacement) with the "signal" scope; any other process (order sync, backfill, reconciliation) also needs the "operate" scope (403 without it, the process untouched).',
      scope: 'signal',
      params: WorkflowIdParamsSchema,
      body: CancelRequestSchema,
      problems: [404, 409],
      success: { status: 202, description: 'Cancel requested', schema: CancelResultSchema },
      handle: async ({ params, body, request }) => {
        const operator = request.principal?.scopes.has('operate') ?? false;
        let cancelled;
        try {
          cancelled = await cancelProcess(client, params.workflowId, body.reason, { types: operator ? undefined : caseProcessTypes });
        } catch (err) {
          if (err instanceof WrongProcessTypeError) {
            throw new Problem(403, 'forbidden', 'Forbidden', `${params.workflowId} is a ${err.processType} process: cancelling it needs the "operate" scope`, { requiredScope: 'operate', processType: err.processType });
          }
          throw err;
        }
        logger.info('process cancel requested', { requestId: request.id, workflowId: cancelled.workflowId, type: cancelled.type, caller: request.principal?.name });
        return { workflowId: cancelled.workflowId, type: cancelled.type, cancelRequested: true, reason: cancelled.reason };
      },
    }),
  ];
}
