import type { Allocation, FulfilmentRelease, ReleaseRequest, ReturnReceipt, ReturnReceiptRequest } from '../../domain/fulfilment';
import type { Shipment } from '../../domain/shipment';
import type { BreakerOptions } from '../shared/breaker';
import { HttpSystem } from '../shared/http';
import { toAllocations, toRelease, toReturnReceipt, toShipment } from './mapping';
import { WmsAllocations, WmsErrorBody, WmsOrderShipments, WmsRelease, WmsReturnReceipt, WmsShipment } from './wms-schemas';

/** The warehouse in retail terms: releases to pick and ship, allocations, shipments, returns received. */
export interface WarehouseConnector {
  /** The replacement saga's pivot: goods leave once per idempotency key. */
  createRelease(request: ReleaseRequest, idempotencyKey: string): Promise<FulfilmentRelease>;
  /** Allowed until the parcel ships; afterwards a BusinessRejectionError (RELEASE_ALREADY_SHIPPED). */
  cancelRelease(releaseId: string, idempotencyKey: string): Promise<FulfilmentRelease>;
  getRelease(releaseId: string): Promise<FulfilmentRelease>;
  getAllocations(orderNumber: string): Promise<Allocation[]>;
  getShipmentsForOrder(orderNumber: string): Promise<Shipment[]>;
  getShipment(shipmentId: string): Promise<Shipment>;
  createReturnReceipt(request: ReturnReceiptRequest, idempotencyKey: string): Promise<ReturnReceipt>;
  shutdown(): void;
}

export interface WarehouseHttpOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  breaker?: BreakerOptions;
}

const seg = encodeURIComponent;

export class WarehouseHttpConnector implements WarehouseConnector {
  readonly http: HttpSystem;

  constructor(options: WarehouseHttpOptions) {
    this.http = new HttpSystem({
      system: 'warehouse',
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      breaker: options.breaker,
      headers: { authorization: `Bearer ${options.apiKey}` },
      readErrorBody: (body) => {
        const parsed = WmsErrorBody.safeParse(body);
        return parsed.success ? { code: parsed.data.errorCode, message: parsed.data.errorMessage } : {};
      },
    });
  }

  async createRelease(request: ReleaseRequest, idempotencyKey: string): Promise<FulfilmentRelease> {
    const body = { orderNumber: request.orderNumber, replacementOrderNumber: request.replacementOrderNumber, warehouseId: request.warehouseId, lines: request.lines, clientReference: request.clientReference };
    return toRelease(await this.http.request({ operation: 'createRelease', method: 'POST', url: '/wms/v1/releases', data: body, idempotencyKey, schema: WmsRelease }));
  }

  async cancelRelease(releaseId: string, idempotencyKey: string): Promise<FulfilmentRelease> {
    return toRelease(await this.http.request({ operation: 'cancelRelease', method: 'POST', url: `/wms/v1/releases/${seg(releaseId)}/cancel`, data: {}, idempotencyKey, schema: WmsRelease }));
  }

  async getRelease(releaseId: string): Promise<FulfilmentRelease> {
    return toRelease(await this.http.request({ operation: 'getRelease', method: 'GET', url: `/wms/v1/releases/${seg(releaseId)}`, schema: WmsRelease }));
  }

  async getAllocations(orderNumber: string): Promise<Allocation[]> {
    return toAllocations(await this.http.request({ operation: 'getAllocations', method: 'GET', url: '/wms/v1/allocations', params: { orderNumber }, schema: WmsAllocations }));
  }

  async getShipmentsForOrder(orderNumber: string): Promise<Shipment[]> {
    const body = await this.http.request({ operation: 'getShipmentsForOrder', method: 'GET', url: `/wms/v1/orders/${seg(orderNumber)}/shipments`, schema: WmsOrderShipments });
    return body.shipments.map(toShipment);
  }

  async getShipment(shipmentId: string): Promise<Shipment> {
    return toShipment(await this.http.request({ operation: 'getShipment', method: 'GET', url: `/wms/v1/shipments/${seg(shipmentId)}`, schema: WmsShipment }));
  }

  async createReturnReceipt(request: ReturnReceiptRequest, idempotencyKey: string): Promise<ReturnReceipt> {
    return toReturnReceipt(await this.http.request({ operation: 'createReturnReceipt', method: 'POST', url: '/wms/v1/return-receipts', data: request, idempotencyKey, schema: WmsReturnReceipt }));
  }

  shutdown(): void {
    this.http.shutdown();
  }
}
