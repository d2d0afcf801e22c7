import { defineQuery, defineSignal, isCancellation, setHandler } from '@temporalio/workflow';
import { z } from 'zod';
import type { CaseReason } from '../domain/case';
import { ReplacementLinesSchema, type CheckedLine, type ReplacementLineRequest } from '../domain/case-lines';
import type { ResolutionPolicy, ResolutionPolicyInput } from '../domain/policy';
import type { Alert } from './lib/alerts';
import type { CaseContext } from './lib/case-context';
import { parseInput } from './lib/case-facts';
import { caseStartFields, type ParentFacts } from './lib/case-input';
import type { SystemQueues } from './lib/queues';
import { planReplacement } from './replacement/plan';
import { ReplacementProcess } from './replacement/process';
import type { IgnoredReason, ShipmentEvent, ShipmentProgress } from './replacement/shipment-tracker';

/**
 * replacement (replacement/{caseNumber}): ship the items again as a saga that follows the parcel.
 * reserve stock → replacement order → return authorization (when the goods come back) → warehouse
 * release (the pivot) → follow shipment events to delivery, escalating what is overdue.
 *
 * Cancelling the execution before the pivot undoes every step, notes it on the case and returns
 * status 'cancelled' (the execution completes, with what was undone in `compensated`). After the
 * pivot a cancel withdraws the release while the warehouse still allows it (and then the rest, the
 * same way); once the parcel has shipped it cannot be undone: the case is told and the parcel is
 * followed to delivery (status 'delivered').
 */

export type { ShipmentEvent, ShipmentProgress } from './replacement/shipment-tracker';

/** What a starter (or the case resolution) hands to replacement/{caseNumber}: the case and the agent's choice, never facts. */
export interface ReplacementInput {
  caseNumber: string;
  /** Salesforce Case record id; when given it must be the Case's. */
  caseId?: string;
  /** Only where the Case has none (the Case's reason wins). */
  reason?: CaseReason;
  /** Order lines shipped again (default: what remains of every line); sku only for a substitute the policy allows. */
  lines?: ReplacementLineRequest[];
  /** The Salesforce User Id of the agent who asked for the replacement. */
  requestedBy?: string;
  /** Set by the parent case resolution only: what it already read (its warehouse ships). */
  facts?: ParentFacts;
  /** Test-only overrides merged over the configured policy (the API and CLI never send one). */
  policy?: ResolutionPolicyInput;
  taskQueues?: Partial<SystemQueues>;
}

export const ReplacementInputSchema = z.strictObject({ ...caseStartFields, lines: ReplacementLinesSchema.optional() });

/** What the replacement works from once the facts are read and the lines checked against the order. */
export interface ReplacementPlan {
  case: CaseContext;
  reason: CaseReason;
  lines: CheckedLine[];
  /** A warehouse with stock for every line. */
  warehouseId: string;
  /** The original goods come back: an RMA (ERP return authorization) for the original order. */
  returnRequired: boolean;
  policy: ResolutionPolicy;
  queues: SystemQueues;
  requestedBy?: string;
}

export interface ReplacementResult {
  status: 'delivered' | 'cancelled';
  reservationId?: string;
  replacementOrderNumber?: string;
  returnAuthorizationId?: string;
  releaseId?: string;
  trackingNumber?: string;
  /** e.g. 'not-shipped-in-time', 'not-delivered-in-time' */
  escalations: string[];
  /** Undo steps that ran, in the order they ran (e.g. 'cancel-release', 'release-reservation'). */
  compensated: string[];
  alerts: Alert[];
}

export type ReplacementStage =
  | 'reading-facts'
  | 'reserving-stock'
  | 'ordering-replacement'
  | 'authorizing-return'
  | 'releasing-to-warehouse'
  | 'awaiting-shipment'
  | 'in-transit'
  | 'delivered'
  | 'compensating'
  | 'cancelled'
  | 'failed';

export interface ReplacementState {
  stage: ReplacementStage;
  reservationId?: string;
  replacementOrderId?: string;
  replacementOrderNumber?: string;
  returnAuthorizationId?: string;
  releaseId?: string;
  shipment: {
    progress: ShipmentProgress;
    trackingNumber?: string;
    carrier?: string;
    shippedAt?: string;
    deliveredAt?: string;
    eventsReceived: number;
    eventsIgnored: number;
    /** The latest ignored events and why (duplicate, other-release, out-of-order, malformed). */
    ignored: { eventId: string; type: string; reason: IgnoredReason }[];
    exceptions: ShipmentEvent[];
  };
  escalations: string[];
  compensated: string[];
  alerts: Alert[];
  cancelRequested: boolean;
  /** Set when the replacement failed before the pivot (everything was undone). */
  failure?: { stage: ReplacementStage; errorType?: string; message: string };
}

/** A warehouse or carrier milestone of the replacement parcel (deduplicated by eventId). */
export const shipmentEventSignal = defineSignal<[ShipmentEvent]>('shipmentEvent');
export const replacementStateQuery = defineQuery<ReplacementState>('getReplacementState');

export async function replacement(input: ReplacementInput): Promise<ReplacementResult> {
  // Answer the query and keep early events while the facts are read (before the steps exist).
  let steps: ReplacementProcess | undefined = undefined;
  const early: ShipmentEvent[] = [];
  setHandler(shipmentEventSignal, (event) => {
    if (steps) steps.tracker.receive(event);
    else early.push(event);
  });
  setHandler(replacementStateQuery, () => steps?.state() ?? readingFacts());
  const request = parseInput(ReplacementInputSchema, input, 'replacement input');
  steps = new ReplacementProcess(await planReplacement({ ...input, ...request }));
  for (const event of early.splice(0)) steps.tracker.receive(event);

  // Compensatable: each step registers its undo before it runs.
  try {
    await steps.reserveStock();
    await steps.createReplacementOrder();
    if (steps.returnRequired) await steps.createReturnAuthorization();
    await steps.releaseToWarehouse(); // the pivot
  } catch (err) {
    return steps.undoBeforePivot(err);
  }

  // Retriable: every step retries until it succeeds; the parcel is followed to the customer.
  try {
    return await steps.followShipment();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    return steps.cancelAfterPivot();
  }
}

function readingFacts(): ReplacementState {
  return {
    stage: 'reading-facts',
    shipment: { progress: 'not-released', eventsReceived: 0, eventsIgnored: 0, ignored: [], exceptions: [] },
    escalations: [],
    compensated: [],
    alerts: [],
    cancelRequested: false,
  };
}
