import { Context } from '@temporalio/activity';
import type { SalesforceConnector, OrderStatusUpdate } from '../connectors/salesforce';
import type { AdjustmentInput } from '../domain/adjustment';
import type { CaseUpdate } from '../domain/case';
import { asActivity } from './failures';

export interface CaseUpdateInput {
  caseId: string;
  update: CaseUpdate;
  /** idempotencyKey(workflowId, step): replays of the same step send the same key. */
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

/** Heartbeats while a bulk job runs, so a lost worker is noticed by the heartbeat timeout, not the job's length. */
function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Called outside an activity (a plain test): nothing to heartbeat to.
  }
}

/** Activities of the Salesforce queue: case context, milestone write-backs, adjustments, order status. */
export function createSalesforceActivities(sf: SalesforceConnector) {
  return {
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
      return asActivity(() => sf.updateCase(input.caseId, input.update, input.idempotencyKey));
    },
    async addSalesforceCaseComment(input: CaseCommentInput) {
      return asActivity(() => sf.addCaseComment(input.caseId, input.text, input.idempotencyKey));
    },
    async createSalesforceEscalationTask(input: EscalationTaskInput) {
      return asActivity(() => sf.createEscalationTask(input.caseId, input.subject, input.idempotencyKey, { description: input.description, priority: input.priority, dueDate: input.dueDate }));
    },
    /** The adjustment's externalId is its idempotency key (the upsert's external id). */
    async upsertSalesforceAdjustment(adjustment: AdjustmentInput) {
      return asActivity(() => sf.upsertAdjustment(adjustment));
    },
    async listSalesforceAdjustments(businessDate: string) {
      return asActivity(() => sf.listAdjustments(businessDate));
    },
    async upsertSalesforceOrderStatus(update: OrderStatusUpdate) {
      return asActivity(() => sf.upsertOrderStatus(update));
    },
    async upsertSalesforceOrdersBulk(updates: OrderStatusUpdate[]) {
      return asActivity(() => sf.upsertOrdersBulk(updates, { onProgress: heartbeat }));
    },
  };
}

export type SalesforceActivities = ReturnType<typeof createSalesforceActivities>;
