import { ApplicationFailure, proxyLocalActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import type { z } from 'zod';
import type { ErpActivities } from '../../activities/erp';
import type { PolicyActivities } from '../../activities/policy';
import type { SalesforceActivities } from '../../activities/salesforce';
import type { Case, CaseReason } from '../../domain/case';
import type { Order } from '../../domain/order';
import { ResolutionPolicySchema, type ResolutionPolicy, type ResolutionPolicyInput } from '../../domain/policy';
import { CaseNumber, Channel, CustomerId, CustomerSegment, OrderNumber, Region, StoreId } from '../search-attributes';
import { caseContextOf, type CaseContext } from './case-context';
import { proxyWithAlert, untilSucceeded } from './persistent';
import type { SystemQueues } from './queues';

import type { ParentFacts } from './case-input';

export type { ParentFacts };

type Alert = (step: string, err: unknown) => Promise<void>;

/** A check on the input failed: the process fails at once (never a workflow task retrying). */
export function invalidInput(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type: 'ValidationError', message, nonRetryable: true, details: details === undefined ? undefined : [details] });
}

/** Validates a workflow input (or part of it) with zod; a bad one is a ValidationError naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${[what, ...i.path.map(String)].join('.')}: ${i.message}`);
  throw invalidInput(`invalid ${what}: ${issues.join('; ')}`, { fields: issues });
}

const readOptions = { startToCloseTimeout: '30 seconds', heartbeatTimeout: '10 seconds', retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } } as const;
// The policy is in the orchestration worker's memory: a local activity, recorded in the history.
const policySource = proxyLocalActivities<PolicyActivities>({ startToCloseTimeout: '5 seconds', retry: { maximumAttempts: 3 } });

/** The Case as Salesforce has it, naming its order; caseId, when the caller gave one, must be this Case's. */
export async function readCase(caseNumber: string, caseId: string | undefined, queues: SystemQueues, alertAfterAttempts: number, alert: Alert, withoutOrder = 'ValidationError'): Promise<Case & { orderNumber: string }> {
  const salesforce = proxyWithAlert<SalesforceActivities>({ ...readOptions, taskQueue: queues.salesforce }, alertAfterAttempts);
  const kase = await untilSucceeded('read case', (p) => salesforce[p].getCaseByNumber(caseNumber), alert);
  if (caseId !== undefined && !sameRecordId(caseId, kase.caseId)) throw invalidInput(`case ${caseNumber} is record ${kase.caseId}, not ${caseId}`);
  if (!kase.orderNumber) throw ApplicationFailure.create({ type: withoutOrder, message: `case ${caseNumber} names no order`, nonRetryable: true });
  return { ...kase, orderNumber: kase.orderNumber };
}

/** The case's order from the ERP (the system of record), retried until it answers. */
export async function readOrder(orderNumber: string, queues: SystemQueues, alertAfterAttempts: number, alert: Alert): Promise<Order> {
  const erp = proxyWithAlert<ErpActivities>({ ...readOptions, taskQueue: queues.erp }, alertAfterAttempts);
  return untilSucceeded('read order', (p) => erp[p].getOrder(orderNumber), alert);
}

/** The Case's reason, else the caller's (only where the Case has none). */
export function reasonOf(kase: Case, given: CaseReason | undefined): CaseReason {
  const reason = kase.reason ?? given;
  if (!reason) throw invalidInput(`case ${kase.caseNumber} has no reason: name one`);
  return reason;
}

/**
 * The configured policy for this customer, read once through the local activity (so replay never
 * depends on code defaults), with the input's test override on top.
 */
export async function policySnapshot(who: { segment?: string; region?: string }, override: ResolutionPolicyInput | undefined): Promise<ResolutionPolicy> {
  const configured = await policySource.getResolutionPolicy({ segment: who.segment, region: who.region });
  const parsed = ResolutionPolicySchema.safeParse({ ...configured, ...override });
  if (parsed.success) return parsed.data;
  throw invalidInput(`invalid resolution policy: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
}

/** Adds the search attributes the start did not set, so the Web UI finds the process by order, store and region. */
export function upsertCaseAttributes(ctx: Partial<CaseContext> & { caseNumber: string }): void {
  const known = workflowInfo().typedSearchAttributes;
  const candidates: SearchAttributePair[] = [
    { key: CaseNumber, value: ctx.caseNumber },
    { key: OrderNumber, value: ctx.orderNumber ?? '' },
    { key: CustomerId, value: ctx.customerId ?? '' },
    { key: StoreId, value: ctx.storeId ?? '' },
    { key: Region, value: ctx.region ?? '' },
    { key: CustomerSegment, value: ctx.segment ?? '' },
    { key: Channel, value: ctx.channel ?? '' },
  ];
  const missing = candidates.filter((pair) => pair.value !== '' && known.get(pair.key) === undefined);
  if (missing.length) upsertSearchAttributes(missing);
}

/** Salesforce ids compare on their first 15 characters (the 18-character form adds a case-safe suffix). */
function sameRecordId(a: string, b: string): boolean {
  return a.slice(0, 15) === b.slice(0, 15);
}

/**
 * The facts a refund or replacement works from: the parent's when a case resolution started it,
 * else read now from Salesforce (the Case and its Account) and the ERP (the order), with the policy.
 */
export async function caseFactsOf(
  input: { caseNumber: string; caseId?: string; reason?: CaseReason; facts?: ParentFacts; policy?: ResolutionPolicyInput },
  queues: SystemQueues,
  alert: Alert,
): Promise<{ facts: ParentFacts; order?: Order }> {
  if (input.facts) return { facts: input.facts };
  const alertAfter = typeof input.policy?.alertAfterAttempts === 'number' ? input.policy.alertAfterAttempts : 5;
  const kase = await readCase(input.caseNumber, input.caseId, queues, alertAfter, alert);
  const order = await readOrder(kase.orderNumber, queues, alertAfter, alert);
  const ctx = caseContextOf(kase, order);
  upsertCaseAttributes(ctx);
  const policy = await policySnapshot(ctx, input.policy);
  return { facts: { case: ctx, reason: reasonOf(kase, input.reason), policy }, order };
}
