import { ProcessClosedError, ProcessNotFoundError } from '../../../client';
import { workflowIds } from '../../../workflows/lib/case-context';
import { describeIfExists } from '../../../client/handles';
import { operation, type Operation } from '../operations';
import { Problem } from '../problems';
import { CaseCancelResultSchema, CaseNumberParamsSchema, CaseProcessesSchema } from '../schemas/cases';
import type { ProcessSchema } from '../schemas/processes';
import type { z } from '../schemas/zod';
import type { RouteDeps } from './deps';

type AnyOperation = Operation;
type HandleInput = Parameters<AnyOperation['handle']>[0];

/** The process ids a case can have, in the order they are read and cancelled (the resolution before its children). */
const caseWorkflowIds = (caseNumber: string) => [workflowIds.caseResolution(caseNumber), workflowIds.refund(caseNumber), workflowIds.replacement(caseNumber)];

/**
 * /v1/cases/{caseNumber}/…: the same operations as /v1/processes/{workflowId}/…, addressed by the Case
 * Number a Flow has on the record. Each one calls the process operation's own handler with the case's
 * workflow id, so validation, scopes and answers stay those of the process routes.
 */
export function caseOperations(processOps: AnyOperation[], deps: Pick<RouteDeps, 'client'>): AnyOperation[] {
  const find = (operationId: string): AnyOperation => {
    const found = processOps.find((op) => op.operationId === operationId);
    if (!found) throw new Error(`process operation ${operationId} is missing`);
    return found;
  };
  const getProcess = find('getProcess');
  const cancelProcess = find('cancelProcess');
  /** Runs a process operation's handler on one workflow id of the case. */
  const on = (op: AnyOperation, workflowId: string, input: HandleInput) => op.handle({ ...input, params: { workflowId } as HandleInput['params'] });

  const addressedByCase = (op: AnyOperation, spec: { operationId: string; path: string; summary: string; workflowId: (caseNumber: string) => string }): AnyOperation =>
    operation({
      ...op,
      operationId: spec.operationId,
      path: spec.path,
      tag: 'cases',
      summary: spec.summary,
      description: `${op.summary}: the same as ${op.path}, for ${spec.workflowId('{caseNumber}')}.`,
      params: CaseNumberParamsSchema,
      handle: (input) => on(op, spec.workflowId(input.params.caseNumber), input as HandleInput),
    });

  return [
    operation({
      operationId: 'getCaseProcesses',
      method: 'get',
      path: '/v1/cases/{caseNumber}',
      tag: 'cases',
      summary: 'A case\'s processes (resolution, refund, replacement) and each one\'s state',
      scope: getProcess.scope,
      params: CaseNumberParamsSchema,
      problems: [404],
      success: { status: 200, description: 'The case\'s processes', schema: CaseProcessesSchema },
      handle: async (input) => {
        const { caseNumber } = input.params;
        const found = await Promise.all(
          caseWorkflowIds(caseNumber).map((workflowId) =>
            on(getProcess, workflowId, input as HandleInput).catch((err: unknown) => {
              if (err instanceof ProcessNotFoundError) return undefined;
              throw err;
            }),
          ),
        );
        const processes = found.filter((p) => p !== undefined) as z.input<typeof ProcessSchema>[];
        if (processes.length === 0) throw caseNotFound(caseNumber);
        return { caseNumber, processes };
      },
    }),
    addressedByCase(find('decideRefundApproval'), {
      operationId: 'decideCaseRefundApproval',
      path: '/v1/cases/{caseNumber}/approval',
      summary: 'Approve or reject the case\'s refund waiting for approval',
      workflowId: workflowIds.refund,
    }),
    addressedByCase(find('chooseCaseResolution'), {
      operationId: 'chooseCaseResolutionForCase',
      path: '/v1/cases/{caseNumber}/decision',
      summary: 'The agent\'s choice (refund or replacement) for the case',
      workflowId: workflowIds.caseResolution,
    }),
    operation({
      ...cancelProcess,
      operationId: 'cancelCaseProcesses',
      path: '/v1/cases/{caseNumber}/cancel',
      tag: 'cases',
      summary: 'Cancel the case\'s running processes (each undoes what it can)',
      description: `Asks each running process of the case to cancel, as ${cancelProcess.path} does; 409 when all of them are closed.`,
      params: CaseNumberParamsSchema,
      success: { status: 202, description: 'Cancel requested', schema: CaseCancelResultSchema },
      handle: async (input) => {
        const { caseNumber } = input.params;
        const cancelled: string[] = [];
        let closed: ProcessClosedError | undefined;
        const [resolutionId, ...others] = caseWorkflowIds(caseNumber);
        for (const workflowId of [resolutionId, ...others]) {
          // The resolution's cancel reaches its child refund or replacement, which then undoes its own steps: not asked twice.
          if (cancelled.includes(resolutionId) && (await describeIfExists(deps.client, workflowId))?.parentExecution?.workflowId === resolutionId) continue;
          try {
            await on(cancelProcess, workflowId, input as HandleInput);
            cancelled.push(workflowId);
          } catch (err) {
            if (err instanceof ProcessClosedError) closed ??= err;
            else if (!(err instanceof ProcessNotFoundError)) throw err;
          }
        }
        if (cancelled.length === 0) throw closed ?? caseNotFound(caseNumber);
        // The body was parsed by the process route's own schema (mounted with it).
        return { caseNumber, cancelRequested: true, workflowIds: cancelled, reason: (input.body as { reason: string }).reason };
      },
    }),
  ];
}

function caseNotFound(caseNumber: string): Problem {
  return new Problem(404, 'case-not-found', 'Case not found', `case ${caseNumber} has no process`);
}
