import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { SearchAttributePair, Workflow } from '@temporalio/common';
import type { ResolutionPolicyInput } from '../domain/policy';
import type { caseResolution } from '../workflows/case-resolution';
import { caseSearchAttributes, workflowIds, type CaseContext } from '../workflows/lib/case-context';
import type { SystemQueues } from '../workflows/lib/queues';
import type { refund, RefundInput } from '../workflows/refund';
import type { replacement, ReplacementInput } from '../workflows/replacement';
import { CaseNumber, Channel, CustomerId, CustomerSegment, OrderNumber, Region, Stage, StoreId } from '../workflows/search-attributes';
import { describeIfExists } from './handles';
import { startOrJoin } from './start-or-join';

export interface StartedProcess {
  workflowId: string;
  runId: string;
  /** True when this call started nothing: the case already has this process, running or closed. */
  existing: boolean;
  /** RUNNING, or the closed execution's status (COMPLETED, FAILED, CANCELLED, TERMINATED, ...). */
  status: string;
}

export interface StartCaseResolutionOptions {
  caseNumber: string;
  /** The orchestration task queue (config.taskQueues.orchestration). */
  taskQueue: string;
  policy?: ResolutionPolicyInput;
  taskQueues?: Partial<SystemQueues>;
  /** What the caller already knows about the case, for the search attributes at start (the workflow adds the rest). */
  known?: Partial<Omit<CaseContext, 'caseNumber' | 'caseId'>>;
  /** The caller's idempotency key (an opaque id, see idempotencyKeyId), kept in the process's memo. */
  idempotencyKey?: string;
}

export interface StartChildProcessOptions<I> {
  taskQueue: string;
  input: I;
  /** What the starter read from Salesforce and the ERP, for the search attributes at start (the workflow reads them again). */
  facts?: CaseContext;
  /** The caller's idempotency key (an opaque id, see idempotencyKeyId), kept in the process's memo. */
  idempotencyKey?: string;
}

/**
 * Starts the case's resolution (case-resolution/{caseNumber}) unless it exists: a running one is
 * returned as it is, and a closed one is never started again (existing: true, its status).
 */
export async function startCaseResolution(client: Client, options: StartCaseResolutionOptions): Promise<StartedProcess> {
  const { caseNumber, known = {} } = options;
  return startOnce<typeof caseResolution>(client, 'caseResolution', {
    workflowId: workflowIds.caseResolution(caseNumber),
    taskQueue: options.taskQueue,
    args: [{ caseNumber, policy: options.policy, taskQueues: options.taskQueues }],
    typedSearchAttributes: knownSearchAttributes(caseNumber, known),
    staticSummary: `Resolve case ${caseNumber}${known.orderNumber ? ` (order ${known.orderNumber})` : ''}`,
    idempotencyKey: options.idempotencyKey,
  });
}

/** Starts refund/{caseNumber} once per case: a case never gets a second refund after a closed one. */
export async function startRefund(client: Client, options: StartChildProcessOptions<RefundInput>): Promise<StartedProcess> {
  const { caseNumber } = options.input;
  return startOnce<typeof refund>(client, 'refund', {
    workflowId: workflowIds.refund(caseNumber),
    taskQueue: options.taskQueue,
    args: [options.input],
    typedSearchAttributes: startAttributes(caseNumber, options.facts),
    staticSummary: `Refund for case ${caseNumber}${options.facts ? ` (order ${options.facts.orderNumber})` : ''}`,
    idempotencyKey: options.idempotencyKey,
  });
}

/** Starts replacement/{caseNumber} once per case. */
export async function startReplacement(client: Client, options: StartChildProcessOptions<ReplacementInput>): Promise<StartedProcess> {
  const { caseNumber } = options.input;
  return startOnce<typeof replacement>(client, 'replacement', {
    workflowId: workflowIds.replacement(caseNumber),
    taskQueue: options.taskQueue,
    args: [options.input],
    typedSearchAttributes: startAttributes(caseNumber, options.facts),
    staticSummary: `Replacement for case ${caseNumber}${options.facts ? ` (order ${options.facts.orderNumber})` : ''}`,
    idempotencyKey: options.idempotencyKey,
  });
}

/**
 * The process with this id, running or closed, as a start would answer it; undefined when there is none.
 * existing is false only for the caller whose idempotency key started it (its retry gets the first answer).
 */
export async function existingProcess(client: Client, workflowId: string, idempotencyKey?: string): Promise<StartedProcess | undefined> {
  const before = await describeIfExists(client, workflowId);
  return before && { workflowId, runId: before.runId, existing: !startedWithKey(before.memo, idempotencyKey), status: before.status.name };
}

interface StartRequest<A extends unknown[]> {
  workflowId: string;
  taskQueue: string;
  args: A;
  typedSearchAttributes: SearchAttributePair[];
  staticSummary: string;
  idempotencyKey?: string;
}

/**
 * Idempotent start in one round trip on the common path: the server starts the run or joins the running
 * one (USE_EXISTING) and says which; after a closed run it starts nothing (REJECT_DUPLICATE) and that
 * run is described and answered instead.
 */
async function startOnce<W extends Workflow>(client: Client, type: string, request: StartRequest<Parameters<W>>): Promise<StartedProcess> {
  const { idempotencyKey, ...options } = request;
  try {
    const { runId, started } = await startOrJoin(client, type, {
      ...options,
      args: request.args as unknown[],
      memo: idempotencyKey ? { [IDEMPOTENCY_MEMO]: idempotencyKey } : undefined,
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    if (started || !idempotencyKey) return { workflowId: request.workflowId, runId, existing: !started, status: 'RUNNING' };
    // Joined with a key: the key's own retry answers as its first call did (read only on this path).
    return (await existingProcess(client, request.workflowId, idempotencyKey)) ?? { workflowId: request.workflowId, runId, existing: true, status: 'RUNNING' };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // A closed run holds the id: report that run instead of starting another.
    const closed = await existingProcess(client, request.workflowId, idempotencyKey);
    if (!closed) throw err;
    return closed;
  }
}

/** The memo field naming the idempotency key that started a process. */
const IDEMPOTENCY_MEMO = 'idempotencyKey';

function startedWithKey(memo: Record<string, unknown> | undefined, idempotencyKey: string | undefined): boolean {
  return idempotencyKey !== undefined && memo?.[IDEMPOTENCY_MEMO] === idempotencyKey;
}

function startAttributes(caseNumber: string, facts: CaseContext | undefined): SearchAttributePair[] {
  return facts ? caseSearchAttributes(facts, 'starting') : knownSearchAttributes(caseNumber, {});
}

function knownSearchAttributes(caseNumber: string, known: StartCaseResolutionOptions['known'] & object): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: CaseNumber, value: caseNumber },
    { key: Stage, value: 'starting' },
  ];
  const add = (key: SearchAttributePair['key'], value: string | undefined) => {
    if (value) pairs.push({ key, value } as SearchAttributePair);
  };
  add(OrderNumber, known.orderNumber);
  add(CustomerId, known.customerId);
  add(StoreId, known.storeId);
  add(Region, known.region);
  add(CustomerSegment, known.segment);
  add(Channel, known.channel);
  return pairs;
}
