import { defineQuery, defineSignal, isCancellation, setHandler } from '@temporalio/workflow';
import type { CaseReason } from '../domain/case';
import type { ResolutionPolicyInput } from '../domain/policy';
import type { Alert } from './lib/alerts';
import type { CaseContext } from './lib/case-context';
import type { SystemQueues } from './lib/queues';
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

export interface ReplacementInput {
  case: CaseContext;
  reason: CaseReason;
  /** The items shipped again (line numbers of the original order, with quantities). */
  lines: { lineNumber: number; sku: string; quantity: number }[];
  /** Warehouse with stock for every line (the caller checked); the workflow re-checks through the reservation. */
  warehouseId: string;
  /** The original goods come back: an RMA (ERP return authorization) for the original order. */
  returnRequired: boolean;
  /** Overrides merged over defaultResolutionPolicy (replacementShipWithin, replacementDeliverWithin, alertAfterAttempts). */
  policy?: ResolutionPolicyInput;
  taskQueues?: Partial<SystemQueues>;
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
  const steps = new ReplacementProcess(input);
  setHandler(shipmentEventSignal, (event) => steps.tracker.receive(event));
  setHandler(replacementStateQuery, () => steps.state());

  // Compensatable: each step registers its undo before it runs.
  try {
    await steps.reserveStock();
    await steps.createReplacementOrder();
    if (input.returnRequired) await steps.createReturnAuthorization();
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
