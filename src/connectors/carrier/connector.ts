import { z } from 'zod';
import type { MilestoneCode, Tracking } from '../../domain/shipment';
import type { BreakerOptions } from '../shared/breaker';
import { HttpSystem } from '../shared/http';

const CarrierTracking = z.object({
  trackingNumber: z.string(),
  carrier: z.string(),
  status: z.string(),
  estimatedDelivery: z.string().nullish(),
  events: z.array(z.object({ code: z.string(), description: z.string(), location: z.string().nullish(), occurredAt: z.string() })),
});
const CarrierErrorBody = z.object({ errors: z.array(z.object({ code: z.string(), detail: z.string().optional() })).min(1) });

/** Carrier scan codes → canonical milestones; any other scan (arrival, departure, ...) is transit. */
const MILESTONES: Record<string, MilestoneCode> = { MP: 'label_created', PU: 'picked_up', IT: 'in_transit', OD: 'out_for_delivery', DL: 'delivered', EX: 'exception' };

/** The parcel carrier in retail terms: where is the customer's parcel. */
export interface CarrierConnector {
  getTrackingMilestones(trackingNumber: string): Promise<Tracking>;
  shutdown(): void;
}

export interface CarrierHttpOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  breaker?: BreakerOptions;
}

export class CarrierHttpConnector implements CarrierConnector {
  readonly http: HttpSystem;

  constructor(options: CarrierHttpOptions) {
    this.http = new HttpSystem({
      system: 'carrier',
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      breaker: options.breaker,
      headers: { 'x-api-key': options.apiKey },
      readErrorBody: (body) => {
        const parsed = CarrierErrorBody.safeParse(body);
        return parsed.success ? { code: parsed.data.errors[0].code, message: parsed.data.errors[0].detail } : {};
      },
    });
  }

  async getTrackingMilestones(trackingNumber: string): Promise<Tracking> {
    const body = await this.http.request({ operation: 'getTrackingMilestones', method: 'GET', url: `/track/v1/shipments/${encodeURIComponent(trackingNumber)}`, schema: CarrierTracking });
    const milestones = body.events
      .map((e) => ({ code: MILESTONES[e.code] ?? 'in_transit', carrierCode: e.code, description: e.description, location: e.location ?? undefined, occurredAt: new Date(e.occurredAt).toISOString() }))
      .sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
    return {
      trackingNumber: body.trackingNumber,
      carrier: body.carrier,
      status: milestones.length ? milestones[milestones.length - 1].code : 'label_created',
      estimatedDelivery: body.estimatedDelivery ?? undefined,
      milestones,
    };
  }

  shutdown(): void {
    this.http.shutdown();
  }
}
