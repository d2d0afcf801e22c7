import { Context } from '@temporalio/activity';
import type { SalesforceConnector, OrderStatusUpdate, OrderWriteCoalescer, StockAvailabilityUpdate } from '../connectors/salesforce';
import type { PubSubConnector } from '../connectors/salesforce-pubsub';
import { isDownstreamError, NonRetryableDownstreamError } from '../domain/errors';
import type { AdjustmentInput } from '../domain/adjustment';
import type { CaseUpdate } from '../domain/case';
import type { ProactiveFinding } from '../domain/proactive-service';
import { asActivity } from './failures';

export interface CaseUpdateInput {
  caseId: string;
  update: CaseUpdate;
  /** idempotencyKey(workflowId, step), for tracing: not sent, as Salesforce has none and an update to fixed values needs none. */
  idempotencyKey?: string;
}

export interface CaseCommentInput {
  caseId: string;
  text: string;
  idempotencyKey: string;
}

export interface EscalationTaskInput {
  caseId: string;
  subject: string;
  idempotencyKey: string;
  description?: string;
  priority?: 'High' | 'Normal' | 'Low';
  dueDate?: string;
}

/** One milestone of a case process, published as Case_Process_Status__e. */
export interface CaseProcessStatusInput {
  caseNumber: string;
  process: 'case-resolution' | 'refund' | 'replacement';
  stage: string;
  outcome?: string;
  /** idempotencyKey(workflowId, "status:" + stage): the event's Event_Key__c, the same on every retry. */
  eventKey: string;
}

/** One milestone of a case process as one call: the note on the Case, the Case's new values, then the status event. */
export interface CaseMilestoneInput {
  caseId: string;
  comment?: { text: string; idempotencyKey: string };
  update?: { change: CaseUpdate; idempotencyKey?: string };
  status: CaseProcessStatusInput;
}

/** The status event Salesforce refused (the milestone itself landed): the workflow alerts and goes on. */
export interface CaseMilestoneOutcome {
  statusRefused?: { type: string; message: string };
}

export const CASE_PROCESS_STATUS_TOPIC = '/event/Case_Process_Status__e';

/** Heartbeats while a bulk job runs, so a lost worker is noticed by the heartbeat timeout, not the job's length. */
function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Called outside an activity (a plain test): nothing to heartbeat to.
  }
}

/**
 * Activities of the Salesforce queue: case context, milestone write-backs, adjustments, order status.
 * With `orderWrites`, concurrent order-status upserts share collections calls.
 */
export function createSalesforceActivities(sf: SalesforceConnector, pubsub?: PubSubConnector, orderWrites?: OrderWriteCoalescer) {
  const publishStatus = (input: CaseProcessStatusInput) => {
    if (!pubsub) throw new NonRetryableDownstreamError('ConfigurationError', { system: 'salesforce', operation: 'publishCaseProcessStatus', message: 'no Pub/Sub API connection is configured' });
    return pubsub.publish(
      CASE_PROCESS_STATUS_TOPIC,
      { Case_Number__c: input.caseNumber, Process__c: input.process, Stage__c: input.stage, Outcome__c: input.outcome ?? null, Event_Key__c: input.eventKey },
      input.eventKey,
    );
  };
  return {
    /** At-least-once: a publish whose answer was lost is published again, with the same Event_Key__c. */
    async publishCaseProcessStatus(input: CaseProcessStatusInput) {
      return asActivity(() => publishStatus(input));
    },
    /**
     * A milestone in one activity instead of three (each activity is a billable action): a retry repeats
     * the parts already done under their own keys (the comment's key, fixed values, the event's key).
     * A refused comment or update fails the activity as before; a refused status event is answered, not thrown.
     */
    async recordCaseMilestone(input: CaseMilestoneInput): Promise<CaseMilestoneOutcome> {
      return asActivity(async () => {
        if (input.comment) await sf.addCaseComment(input.caseId, input.comment.text, input.comment.idempotencyKey);
        if (input.update) await sf.updateCase(input.caseId, input.update.change);
        try {
          await publishStatus(input.status);
          return {};
        } catch (err) {
          if (isDownstreamError(err) && !err.retryable) return { statusRefused: { type: err.type, message: err.message } };
          throw err;
        }
      });
    },
    async getCaseByNumber(caseNumber: string) {
      return asActivity(() => sf.getCaseByNumber(caseNumber));
    },
    /** Who is deciding: read before an approval or a choice is accepted. */
    async getSalesforceUser(userId: string) {
      return asActivity(() => sf.getUser(userId));
    },
    async getSalesforceCustomer(customerId: string) {
      return asActivity(() => sf.getCustomer(customerId));
    },
    async updateSalesforceCase(input: CaseUpdateInput) {
      return asActivity(() => sf.updateCase(input.caseId, input.update));
    },
    async addSalesforceCaseComment(input: CaseCommentInput) {
      return asActivity(() => sf.addCaseComment(input.caseId, input.text, input.idempotencyKey));
    },
    async createSalesforceEscalationTask(input: EscalationTaskInput) {
      return asActivity(() => sf.createEscalationTask(input.caseId, input.subject, input.idempotencyKey, { description: input.description, priority: input.priority, dueDate: input.dueDate }));
    },
    /** A carrier exception or late delivery as a Case, or a Task on the order's open Case, once per finding key. */
    async openSalesforceProactiveCase(finding: ProactiveFinding) {
      return asActivity(() => sf.openProactiveCase(finding));
    },
    /** The adjustment's externalId is its idempotency key (the upsert's external id). */
    async upsertSalesforceAdjustment(adjustment: AdjustmentInput) {
      return asActivity(() => sf.upsertAdjustment(adjustment));
    },
    async listSalesforceAdjustments(businessDate: string) {
      return asActivity(() => sf.listAdjustments(businessDate));
    },
    /** Batched with other orders' when the worker gathers them; the same result and failure types either way. */
    async upsertSalesforceOrderStatus(update: OrderStatusUpdate) {
      return asActivity(() => (orderWrites ? orderWrites.upsert(update) : sf.upsertOrderStatus(update)));
    },
    /** One collections call for a shard's changed SKU-locations; the answer carries Salesforce's write time. */
    async upsertSalesforceStockAvailability(updates: StockAvailabilityUpdate[]) {
      return asActivity(() => sf.upsertStockAvailability(updates));
    },
    async upsertSalesforceOrdersBulk(updates: OrderStatusUpdate[]) {
      return asActivity(() => sf.upsertOrdersBulk(updates, { onProgress: heartbeat }));
    },
  };
}

export type SalesforceActivities = ReturnType<typeof createSalesforceActivities>;
