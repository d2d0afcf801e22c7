import type { CarrierConnector } from '../connectors/carrier';
import type { WarehouseConnector } from '../connectors/warehouse';
import type { ReleaseRequest, ReturnReceiptRequest } from '../domain/fulfilment';
import { Context } from '@temporalio/activity';
import { isDownstreamError } from '../domain/errors';
import { asActivity } from './failures';

/** The activity's attempt (1 outside an activity, as in a plain test). */
function currentAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/**
 * Activities of the warehouse/logistics queue: the WMS and the carrier's tracking. Mutating ones
 * take the idempotency key the workflow derived from its id and the step, never the attempt.
 */
export function createWarehouseActivities(wms: WarehouseConnector, carrier: CarrierConnector) {
  return {
    async createWarehouseRelease(input: { release: ReleaseRequest; idempotencyKey: string }) {
      return asActivity(() => wms.createRelease(input.release, input.idempotencyKey));
    },
    async cancelWarehouseRelease(input: { releaseId: string; idempotencyKey: string }) {
      return asActivity(() => wms.cancelRelease(input.releaseId, input.idempotencyKey));
    },
    async getWarehouseRelease(releaseId: string) {
      return asActivity(() => wms.getRelease(releaseId));
    },
    async getWarehouseAllocations(orderNumber: string) {
      return asActivity(() => wms.getAllocations(orderNumber));
    },
    async getShipmentsForOrder(orderNumber: string) {
      return asActivity(() => wms.getShipmentsForOrder(orderNumber));
    },
    async getWarehouseShipment(shipmentId: string) {
      return asActivity(() => wms.getShipment(shipmentId));
    },
    async receiveReturnAtWarehouse(input: { receipt: ReturnReceiptRequest; idempotencyKey: string }) {
      return asActivity(() => wms.createReturnReceipt(input.receipt, input.idempotencyKey));
    },
    /**
     * An order's shipments with each parcel's carrier status in one call (one billable action instead of
     * one per parcel and one more). A parcel the carrier cannot answer for is 'unknown'; a retryable
     * carrier failure fails the call (reads: a retry repeats them) until `settleFromAttempt`, from which
     * it is 'unknown' too, so the case goes on without it.
     */
    async getShipmentsWithTracking(orderNumber: string, options: { settleFromAttempt: number }) {
      return asActivity(async () => {
        const attempt = currentAttempt();
        const shipments = await wms.getShipmentsForOrder(orderNumber);
        return Promise.all(
          shipments.map(async (shipment) => {
            try {
              return { shipment, tracking: (await carrier.getTrackingMilestones(shipment.trackingNumber)).status };
            } catch (err) {
              if (isDownstreamError(err) && err.retryable && attempt < options.settleFromAttempt) throw err;
              if (!isDownstreamError(err)) throw err;
              return { shipment, tracking: 'unknown' as const };
            }
          }),
        );
      });
    },
    async getTrackingMilestones(trackingNumber: string) {
      return asActivity(() => carrier.getTrackingMilestones(trackingNumber));
    },
  };
}

export type WarehouseActivities = ReturnType<typeof createWarehouseActivities>;
