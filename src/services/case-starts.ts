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

/** How a caller's start is told apart: its idempotency key (an opaque id), kept with the process. */
export interface CaseStartOptions {
  idempotencyKey?: string;
}

export interface CaseStarts {
  caseResolution(request: Pick<CaseStartRequest, 'caseNumber' | 'caseId'>, options?: CaseStartOptions): Promise<StartedProcess>;
  refund(request: CaseStartRequest & { lines?: RefundLineRequest[] }, options?: CaseStartOptions): Promise<StartedProcess>;
  replacement(request: CaseStartRequest & { lines?: ReplacementLineRequest[] }, options?: CaseStartOptions): Promise<StartedProcess>;
}

/**
 * Starts a case's process once: the case's facts are read and the lines checked first (CaseNotFoundError,
 * CaseRefusedError, FactsUnavailableError before anything starts), then one start call starts the
 * workflow, which reads them again, with the caller's choice only — or joins the case's running process,
 * or answers its closed one. Only when the facts refuse is the process looked up: a case that already
 * has one (its lines refunded by it, say) is answered with that process, as a start always was.
 */
export function createCaseStarts(client: Client, caseFacts: CaseFactsService, queues: { orchestration: string; systems: SystemQueues }): CaseStarts {
  const taskQueue = queues.orchestration;
  const taskQueues = queues.systems;
  const once = async (workflowId: string, options: CaseStartOptions, start: () => Promise<StartedProcess>) => {
    try {
      return await start();
    } catch (err) {
      const existing = await existingProcess(client, workflowId, options.idempotencyKey).catch(() => undefined);
      if (existing) return existing;
      throw err;
    }
  };
  const choice = (request: CaseStartRequest, caseReason: CaseReason | undefined, caseId: string) => {
    if (caseReason === undefined && request.reason === undefined) throw new CaseRefusedError('reason-required', `case ${request.caseNumber} has no reason: name one`);
    return { caseNumber: request.caseNumber, caseId, reason: caseReason ? undefined : request.reason, requestedBy: request.requestedBy, taskQueues };
  };

  return {
    caseResolution: ({ caseNumber, caseId }, options = {}) =>
      once(workflowIds.caseResolution(caseNumber), options, async () => {
        const facts = await caseFacts.read({ caseNumber, caseId });
        return startCaseResolution(client, { caseNumber, taskQueue, taskQueues, known: facts.case, idempotencyKey: options.idempotencyKey });
      }),
    refund: (request, options = {}) =>
      once(workflowIds.refund(request.caseNumber), options, async () => {
        const facts = await caseFacts.read(request);
        const input = { ...choice(request, facts.reason, facts.case.caseId), lines: request.lines };
        await caseFacts.checkRefund(facts, request.lines);
        return startRefund(client, { taskQueue, input, facts: facts.case, idempotencyKey: options.idempotencyKey });
      }),
    replacement: (request, options = {}) =>
      once(workflowIds.replacement(request.caseNumber), options, async () => {
        const facts = await caseFacts.read(request);
        const input = { ...choice(request, facts.reason, facts.case.caseId), lines: request.lines };
        await caseFacts.checkReplacement(facts, request.lines);
        return startReplacement(client, { taskQueue, input, facts: facts.case, idempotencyKey: options.idempotencyKey });
      }),
  };
}
