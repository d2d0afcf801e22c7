import { ActivityFailure, ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type { SalesforceActivities } from '../../activities/salesforce';
import type { CaseUpdate } from '../../domain/case';
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

export interface CaseMilestone {
  /** The alert's step name when the call keeps failing. */
  step: string;
  /** The activity's summary in the Web UI. */
  summary?: string;
  comment?: { text: string; idempotencyKey: string };
  update?: { change: CaseUpdate; idempotencyKey?: string };
  /** The Case_Process_Status__e stage (its event key comes from the workflow id and the stage, as processStatus's). */
  stage: string;
  outcome?: string;
}

/**
 * A milestone written in one activity (note, Case values, status event): one billable action instead of
 * up to three. Retried until it lands (one alert after the policy's attempts); a rejected note or update
 * is thrown as before; a refused status event is alerted and skipped, as processStatus does.
 */
export function caseMilestones(options: { caseId: string; caseNumber: string; process: CaseProcess; salesforceQueue: string; alertAfterAttempts: number; alert: (step: string, err: unknown) => Promise<void> }) {
  const salesforce = proxyWithAlert<SalesforceActivities>(
    { taskQueue: options.salesforceQueue, startToCloseTimeout: '30 seconds', heartbeatTimeout: '10 seconds', retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } },
    options.alertAfterAttempts,
  );
  const { caseId, caseNumber, process, alert } = options;
  return async (m: CaseMilestone): Promise<void> => {
    const input = {
      caseId,
      comment: m.comment,
      update: m.update,
      status: { caseNumber, process, stage: m.stage, outcome: m.outcome, eventKey: idempotencyKey(workflowInfo().workflowId, `status:${m.stage}`) },
    };
    const outcome = await untilSucceeded(m.step, (p) => salesforce[p].recordCaseMilestone.executeWithOptions({ summary: m.summary ?? `Case ${caseNumber}: ${m.stage}` }, [input]), alert);
    if (outcome.statusRefused) await alert(`status ${m.stage}`, ApplicationFailure.create({ ...outcome.statusRefused, nonRetryable: true }));
  };
}

export type CaseMilestones = ReturnType<typeof caseMilestones>;
