import { ActivityFailure, ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type { SalesforceActivities } from '../../activities/salesforce';
import { idempotencyKey } from '../../domain/idempotency';
import { proxyWithAlert, untilSucceeded } from './persistent';

export type CaseProcess = 'case-resolution' | 'refund' | 'replacement';

/**
 * Live progress for the agent's Lightning page: one Case_Process_Status__e per milestone, beside
 * the note the workflow writes to the Case. The event key comes from the workflow id and the stage,
 * so a retried publish is recognisable downstream (Platform Events are at-least-once). A publish
 * Salesforce refuses is alerted and skipped: the milestone itself already landed on the Case.
 */
export function processStatus(options: { caseNumber: string; process: CaseProcess; salesforceQueue: string; alertAfterAttempts: number; alert: (step: string, err: unknown) => Promise<void> }) {
  const salesforce = proxyWithAlert<SalesforceActivities>(
    { taskQueue: options.salesforceQueue, startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } },
    options.alertAfterAttempts,
  );
  const { caseNumber, process, alert } = options;
  return async (stage: string, outcome?: string): Promise<void> => {
    const eventKey = idempotencyKey(workflowInfo().workflowId, `status:${stage}`);
    try {
      await untilSucceeded(`status ${stage}`, (p) => salesforce[p].publishCaseProcessStatus({ caseNumber, process, stage, outcome, eventKey }), alert);
    } catch (err) {
      if (!(err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable)) throw err;
      await alert(`status ${stage}`, err);
    }
  };
}

export type ProcessStatus = ReturnType<typeof processStatus>;
