import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SystemDefinition } from '../../core/system';
import { estimateDelivery, parcelStatus, SCAN_CODES, seedCarrier, type CarrierState, type ScanCode, type TrackedParcel } from './state';

export const CARRIER_SANDBOX_API_KEY = 'carrier-sandbox-key';

/** The carrier's error dialect: {"errors":[{"code","detail"}]}. */
function sendCarrierError(reply: FastifyReply, status: number, code: string, detail: string): FastifyReply {
  return reply.code(status).send({ errors: [{ code, detail }] });
}

const sameSecret = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

const ScanInput = z.object({
  code: z.enum(Object.keys(SCAN_CODES) as [ScanCode, ...ScanCode[]]),
  description: z.string().optional(),
  location: z.string().optional(),
  occurredAt: z.iso.datetime().optional(),
});
const ParcelInput = z.object({
  trackingNumber: z.string().min(1).max(40),
  carrier: z.string().min(1),
  estimatedDelivery: z.string().optional(),
  events: z.array(ScanInput).default([]),
});

function toScan(input: z.infer<typeof ScanInput>) {
  return { code: input.code, description: input.description ?? SCAN_CODES[input.code], location: input.location ?? null, occurredAt: input.occurredAt ?? new Date().toISOString() };
}

function serializeParcel(p: TrackedParcel) {
  return {
    trackingNumber: p.trackingNumber,
    carrier: p.carrier,
    status: parcelStatus(p),
    estimatedDelivery: p.estimatedDelivery,
    events: [...p.events].sort((a, b) => b.occurredAt.localeCompare(a.occurredAt)),
  };
}

/** A parcel carrier's tracking API; knows the world's parcels and any the tests register. */
export const carrier: SystemDefinition<CarrierState> = {
  name: 'carrier',
  defaultPort: 4050,
  seed: seedCarrier,
  sendError: sendCarrierError,
  routes: (app, ctx) => {
    app.addHook('onRequest', async (request, reply) => {
      if (request.url.startsWith('/__sandbox')) return;
      const key = request.headers['x-api-key'];
      if (typeof key !== 'string' || !key) return sendCarrierError(reply, 401, 'UNAUTHORIZED', 'x-api-key header is required');
      if (!sameSecret(key, CARRIER_SANDBOX_API_KEY)) return sendCarrierError(reply, 401, 'UNAUTHORIZED', 'the API key is not valid');
    });

    app.get<{ Params: { trackingNumber: string } }>('/track/v1/shipments/:trackingNumber', async (request, reply) => {
      const parcel = ctx.store.data.parcels[request.params.trackingNumber];
      if (!parcel) return sendCarrierError(reply, 404, 'TRACKING_NUMBER_NOT_FOUND', `no shipment found for ${request.params.trackingNumber}`);
      return serializeParcel(parcel);
    });

    // Admin: the carrier learns a parcel the warehouse shipped (a separate system, so tests tell it).
    app.post('/__sandbox/carrier/shipments', async (request, reply) => {
      const body = ParcelInput.safeParse(request.body ?? {});
      if (!body.success) return sendCarrierError(reply, 400, 'INVALID_REQUEST', body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      const events = body.data.events.map(toScan).sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
      if (!events.length) events.push(toScan({ code: 'MP' }));
      const parcel: TrackedParcel = {
        trackingNumber: body.data.trackingNumber,
        carrier: body.data.carrier,
        estimatedDelivery: body.data.estimatedDelivery ?? estimateDelivery(events[0].occurredAt),
        events,
      };
      const existed = Boolean(ctx.store.data.parcels[parcel.trackingNumber]);
      ctx.store.data.parcels[parcel.trackingNumber] = parcel;
      ctx.store.changed();
      ctx.record({ kind: 'parcel.registered', ref: parcel.trackingNumber, data: { carrier: parcel.carrier, events: events.length } });
      return reply.code(existed ? 200 : 201).send(serializeParcel(parcel));
    });

    // Admin: one more scan for a known parcel.
    app.post<{ Params: { trackingNumber: string } }>('/__sandbox/carrier/shipments/:trackingNumber/events', async (request, reply) => {
      const parcel = ctx.store.data.parcels[request.params.trackingNumber];
      if (!parcel) return sendCarrierError(reply, 404, 'TRACKING_NUMBER_NOT_FOUND', `no shipment found for ${request.params.trackingNumber}`);
      const body = ScanInput.safeParse(request.body ?? {});
      if (!body.success) return sendCarrierError(reply, 400, 'INVALID_REQUEST', `code must be one of ${Object.keys(SCAN_CODES).join(', ')}`);
      const scan = toScan(body.data);
      parcel.events.push(scan);
      parcel.events.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
      if (scan.code === 'DL') parcel.estimatedDelivery = scan.occurredAt.slice(0, 10);
      ctx.store.changed();
      ctx.record({ kind: 'parcel.scanned', ref: parcel.trackingNumber, data: { code: scan.code, occurredAt: scan.occurredAt } });
      return reply.code(201).send(serializeParcel(parcel));
    });
  },
};
