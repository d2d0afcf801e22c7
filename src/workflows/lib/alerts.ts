import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { SalesforceActivities } from '../../activities/salesforce';
import { idempotencyKey } from '../../domain/idempotency';
import { business, contextOf } from './business-signals';
import { failureType } from './persistent';

export interface Alert {
  step: string;
  errorType?: string;
  message: string;
  at: string;
}

// A note on the case is worth a few tries, never a stuck process: the structured log line is the alert of record.
const caseNotes = (taskQueue: string) =>
  proxyActivities<SalesforceActivities>({ taskQueue, startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3, maximumInterval: '10 seconds' } });

/**
 * Raises an alert for a step that keeps failing: one structured log event (event=alert, with the
 * workflow's business context) and one comment on the case, each at most once per step.
 */
export function createAlerter(options: { caseId?: string; salesforceQueue: string; alerts: Alert[] }) {
  const raised = new Set<string>();
  return async (step: string, err: unknown): Promise<void> => {
    if (raised.has(step)) return;
    raised.add(step);
    const alert: Alert = { step, errorType: failureType(err), message: (err as Error)?.message ?? String(err), at: new Date().toISOString() };
    options.alerts.push(alert);
    log.error('alert', { event: 'alert', ...alert });
    business.alertRaised(contextOf(), step);
    if (!options.caseId) return;
    try {
      await caseNotes(options.salesforceQueue).addSalesforceCaseComment({
        caseId: options.caseId,
        text: `retail-orchestrator: step "${step}" keeps failing (${alert.errorType ?? 'error'}); it is retried until the system recovers.`,
        idempotencyKey: idempotencyKey(workflowInfo().workflowId, `alert:${step}`),
      });
    } catch (noteErr) {
      log.warn('could not note the alert on the case', { step, error: (noteErr as Error).message });
    }
  };
}
