import type { CarrierConnector } from '../connectors/carrier';
import type { WarehouseConnector } from '../connectors/warehouse';
import type { ReleaseRequest, ReturnReceiptRequest } from '../domain/fulfilment';
import { asActivity } from './failures';

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
    async getTrackingMilestones(trackingNumber: string) {
      return asActivity(() => carrier.getTrackingMilestones(trackingNumber));
    },
  };
}

export type WarehouseActivities = ReturnType<typeof createWarehouseActivities>;
