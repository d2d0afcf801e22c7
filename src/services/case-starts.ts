import type { Client } from '@temporalio/client';
import { existingProcess, startCaseResolution, startRefund, startReplacement, type StartedProcess } from '../client';
import type { CaseReason } from '../domain/case';
import type { RefundLineRequest, ReplacementLineRequest } from '../domain/case-lines';
import { workflowIds } from '../workflows/lib/case-context';
import type { SystemQueues } from '../workflows/lib/queues';
import { CaseRefusedError } from './case-errors';
import type { CaseFactsService } from './case-facts';

/** What a caller (the API, retailctl) may say when starting a process: the case and the agent's choice. */
export interface CaseStartRequest {
  caseNumber: string;
  caseId?: string;
  reason?: CaseReason;
  requestedBy?: string;
}

export interface CaseStarts {
  caseResolution(request: Pick<CaseStartRequest, 'caseNumber' | 'caseId'>): Promise<StartedProcess>;
  refund(request: CaseStartRequest & { lines?: RefundLineRequest[] }): Promise<StartedProcess>;
  replacement(request: CaseStartRequest & { lines?: ReplacementLineRequest[] }): Promise<StartedProcess>;
}

/**
 * Starts a case's process once: an existing one is answered as it is; otherwise the case's facts are
 * read and the lines checked first (CaseNotFoundError, CaseRefusedError, FactsUnavailableError before
 * anything starts), and the workflow, which reads them again, is started with the caller's choice only.
 */
export function createCaseStarts(client: Client, caseFacts: CaseFactsService, queues: { orchestration: string; systems: SystemQueues }): CaseStarts {
  const taskQueue = queues.orchestration;
  const taskQueues = queues.systems;
  const once = async (workflowId: string, start: () => Promise<StartedProcess>) => (await existingProcess(client, workflowId)) ?? start();
  const choice = (request: CaseStartRequest, caseReason: CaseReason | undefined, caseId: string) => {
    if (caseReason === undefined && request.reason === undefined) throw new CaseRefusedError('reason-required', `case ${request.caseNumber} has no reason: name one`);
    return { caseNumber: request.caseNumber, caseId, reason: caseReason ? undefined : request.reason, requestedBy: request.requestedBy, taskQueues };
  };

  return {
    caseResolution: ({ caseNumber, caseId }) =>
      once(workflowIds.caseResolution(caseNumber), async () => {
        const facts = await caseFacts.read({ caseNumber, caseId });
        return startCaseResolution(client, { caseNumber, taskQueue, taskQueues, known: facts.case });
      }),
    refund: (request) =>
      once(workflowIds.refund(request.caseNumber), async () => {
        const facts = await caseFacts.read(request);
        const input = { ...choice(request, facts.reason, facts.case.caseId), lines: request.lines };
        await caseFacts.checkRefund(facts, request.lines);
        return startRefund(client, { taskQueue, input, facts: facts.case });
      }),
    replacement: (request) =>
      once(workflowIds.replacement(request.caseNumber), async () => {
        const facts = await caseFacts.read(request);
        const input = { ...choice(request, facts.reason, facts.case.caseId), lines: request.lines };
        await caseFacts.checkReplacement(facts, request.lines);
        return startReplacement(client, { taskQueue, input, facts: facts.case });
      }),
  };
}
