import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Sandbox } from '../../sandbox';
import type { World, WorldCustomer, WorldOrder } from '../../sandbox/seed/world';
import type { SalesforceState } from '../../sandbox/systems/salesforce/state';
import { buildActivities } from '../../src/activities';
import { CaseReasonSchema } from '../../src/domain/case';
import type { Config } from '../../src/config';
import { createWorkers } from '../../src/workers/workers';
import type { refund, RefundInput, RefundStage } from '../../src/workflows/refund';
import { refundStateQuery } from '../../src/workflows/refund';
import type { CaseContext } from '../../src/workflows/lib/case-context';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, runWorkersUntil, uniqueName, testEnvTimeoutMs } from '../helpers/temporal';
import { systemQueuesOf } from '../workers/fake-activities';

/** Everything a refund test needs: its own sandbox (so ledgers count only its effects), queues, workers and workflow id. */
export interface RefundFixture {
  env: TestWorkflowEnvironment;
  client: Client;
  sandbox: Sandbox;
  config: Config;
  workflowId: string;
  /** Runs the real workers (every queue, real connectors) while `fn` drives the workflow. */
  withWorkers: <T>(fn: () => Promise<T>) => Promise<T>;
  start: (input: RefundInput) => Promise<WorkflowHandle<typeof refund>>;
  close: () => Promise<void>;
}

let shared: Promise<[TestWorkflowEnvironment, WorkflowBundleWithSourceMap]> | undefined;

export function sharedEnv(): Promise<[TestWorkflowEnvironment, WorkflowBundleWithSourceMap]> {
  shared ??= Promise.all([getTestEnv(), getWorkflowBundle()]);
  return shared;
}

/** A suite's hooks: the shared server once, then a fresh fixture (sandbox, workers, queues) for every test, closed after it. */
export function useRefundFixture(set: (fixture: RefundFixture) => void): void {
  let current: RefundFixture | undefined;
  before(async function () {
    this.timeout(testEnvTimeoutMs);
    await sharedEnv();
  });
  beforeEach(async () => {
    current = await refundFixture();
    set(current);
  });
  afterEach(async () => {
    await current?.close();
  });
}

export async function refundFixture(): Promise<RefundFixture> {
  const [env, workflowBundle] = await sharedEnv();
  const sandbox = await startTestSandbox();
  const config = configFor(sandbox, isolatedQueueEnv('refund'));
  const activities = buildActivities(config);
  const workflowId = uniqueName('refund/test');
  return {
    env,
    client: env.client,
    sandbox,
    config,
    workflowId,
    withWorkers: async (fn) => {
      const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities });
      return runWorkersUntil(workers, fn);
    },
    start: (input) => env.client.workflow.start<typeof refund>('refund', { taskQueue: config.taskQueues.orchestration, workflowId, args: [{ ...input, taskQueues: systemQueuesOf(config) }] }),
    close: async () => {
      await activities.close();
      await sandbox.close();
    },
  };
}

export interface PickedCase {
  ctx: CaseContext;
  order: WorldOrder;
  customer: WorldCustomer;
}

/** A seeded case whose order matches `fits` (card payment, returnable goods, several lines, ...), with its Salesforce Case id. */
export function pickCase(sandbox: Sandbox, fits: (order: WorldOrder, world: World) => boolean): PickedCase {
  const world = sandbox.world();
  for (const kase of world.cases) {
    const order = world.orders.find((o) => o.orderNumber === kase.orderNumber)!;
    if (!fits(order, world)) continue;
    const customer = world.customers.find((c) => c.customerId === order.customerId)!;
    const sf = sandbox.systems.salesforce!.ctx.store.data as SalesforceState;
    const caseId = Object.values(sf.records.Case).find((r) => r.CaseNumber === kase.caseNumber)!.Id as string;
    return {
      order,
      customer,
      ctx: { caseId, caseNumber: kase.caseNumber, orderNumber: order.orderNumber, customerId: order.customerId, storeId: order.storeId, region: order.region, segment: customer.segment, channel: order.channel },
    };
  }
  throw new Error('no seeded case fits');
}

/** Every line's product can be returned (the ERP refuses a return authorization otherwise). */
export const returnable = (order: WorldOrder, world: World) => order.lines.every((l) => world.products.find((p) => p.sku === l.sku)!.returnable);
export const paidByCard = (order: WorldOrder, world: World) => world.payments.find((p) => p.paymentId === order.paymentId)!.method === 'card';

/** Side effects one sandbox system recorded, by kind. */
export async function effects(url: string | undefined, kind: string) {
  return (await admin(url!).ledger({ kind })).entries;
}

/** Polls the refund's state query until it reaches `stage` (workflow time runs in real time here, so this takes seconds at most). */
export async function waitForStage(handle: WorkflowHandle, stage: RefundStage, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  while (Date.now() < deadline) {
    try {
      last = (await handle.query(refundStateQuery)).stage;
      if (last === stage) return;
    } catch {
      // Not started yet: the first workflow task has not run.
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`refund did not reach stage ${stage} within ${timeoutMs} ms (last: ${last})`);
}

/**
 * A refund input for a picked case: the case only (the workflow reads the order, customer and payment);
 * whether the goods come back is the policy's returnRequiredFor, set here for the test.
 */
export function refundInput(ctx: CaseContext, returnRequired: boolean, extra: Omit<RefundInput, 'caseNumber'> = {}): RefundInput {
  return { caseNumber: ctx.caseNumber, caseId: ctx.caseId, ...extra, policy: { returnRequiredFor: returnRequired ? [...CaseReasonSchema.options] : [], ...extra.policy } };
}

/** No approval needed, whatever the amount: thresholds far above any seeded order. */
export const noApproval = { approvalThreshold: { default: 100_000_000 } };
/** Every refund needs approval. */
export const alwaysApproval = { approvalThreshold: { default: 0 }, autoApproveUpTo: {} };
