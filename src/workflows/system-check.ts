import { ActivityFailure, ApplicationFailure, proxyActivities, TimeoutFailure } from '@temporalio/workflow';
import { z } from 'zod';
import { parseInput } from './lib/case-facts';
import type { SalesforceActivities } from '../activities/salesforce';
import type { ErpActivities } from '../activities/erp';
import type { WarehouseActivities } from '../activities/warehouse';
import type { PaymentsActivities } from '../activities/payments';
import { resolveQueues, type SystemQueues } from './lib/queues';

/** Post-deploy connectivity check: one read on every system queue, in parallel, through the real workers. */

export type { SystemQueues } from './lib/queues';

export interface SystemCheckInput {
  caseNumber: string;
  orderNumber: string;
  paymentId: string;
  trackingNumber: string;
  taskQueues?: Partial<SystemQueues>;
}

export type CheckedSystem = 'salesforce' | 'erp' | 'warehouse' | 'carrier' | 'payments';

export interface SystemCheckResult {
  system: CheckedSystem;
  taskQueue: string;
  ok: boolean;
  latencyMs: number;
  /** The failure's type (e.g. DownstreamUnavailableError, NotFoundError, Timeout:SCHEDULE_TO_CLOSE). */
  errorType?: string;
  message?: string;
  /** What the system answered, so an operator sees real data came back. */
  data?: unknown;
}

export interface SystemCheckReport {
  ok: boolean;
  systems: SystemCheckResult[];
}

// Short and bounded: a check reports a failing system within seconds instead of retrying it out;
// scheduleToClose also catches a queue that no worker polls.
const checkOptions = {
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '2 seconds', maximumAttempts: 2 },
} as const;

const text = z.string().min(1).max(255);
const SystemCheckInputSchema = z.object({ caseNumber: text, orderNumber: text, paymentId: text, trackingNumber: text, taskQueues: z.record(z.string(), z.string().min(1)).optional() });

export async function systemCheck(input: SystemCheckInput): Promise<SystemCheckReport> {
  parseInput(SystemCheckInputSchema, input, 'system check input');
  const queues = resolveQueues(input.taskQueues);
  const salesforce = proxyActivities<SalesforceActivities>({ ...checkOptions, taskQueue: queues.salesforce });
  const erp = proxyActivities<ErpActivities>({ ...checkOptions, taskQueue: queues.erp });
  const warehouse = proxyActivities<WarehouseActivities>({ ...checkOptions, taskQueue: queues.warehouse });
  const payments = proxyActivities<PaymentsActivities>({ ...checkOptions, taskQueue: queues.payments });

  const systems = await Promise.all([
    check('salesforce', queues.salesforce, () => salesforce.getCaseByNumber(input.caseNumber)),
    check('erp', queues.erp, () => erp.getOrder(input.orderNumber)),
    check('warehouse', queues.warehouse, () => warehouse.getShipmentsForOrder(input.orderNumber)),
    check('carrier', queues.warehouse, () => warehouse.getTrackingMilestones(input.trackingNumber)),
    check('payments', queues.payments, () => payments.getPayment(input.paymentId)),
  ]);
  return { ok: systems.every((s) => s.ok), systems };
}

async function check(system: CheckedSystem, taskQueue: string, read: () => Promise<unknown>): Promise<SystemCheckResult> {
  const started = Date.now();
  try {
    const data = await read();
    return { system, taskQueue, ok: true, latencyMs: Date.now() - started, data };
  } catch (err) {
    return { system, taskQueue, ok: false, latencyMs: Date.now() - started, ...describeFailure(err) };
  }
}

/** Walks the failure chain (activity failure → application failure or timeout) to its type. */
function describeFailure(err: unknown): { errorType: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { errorType: cause.type ?? 'ApplicationFailure', message: cause.message };
  if (cause instanceof TimeoutFailure) return { errorType: `Timeout:${cause.timeoutType ?? 'UNSPECIFIED'}`, message: cause.message };
  if (cause instanceof Error) return { errorType: cause.name, message: cause.message };
  return { errorType: 'Unknown', message: String(cause) };
}
