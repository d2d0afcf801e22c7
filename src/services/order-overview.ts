import { z } from 'zod';
import type { Config } from '../config';
import { loadResolutionPolicy, resolvePolicy, type ResolutionPolicySource } from '../config/policy';
import { createCarrierConnector } from '../connectors/carrier';
import { createErpConnector } from '../connectors/erp';
import { createPaymentsConnector } from '../connectors/payments';
import { createWarehouseConnector } from '../connectors/warehouse';
import { warehouseHolding } from '../domain/case-lines';
import { isDownstreamError } from '../domain/errors';
import type { StockAvailability } from '../domain/inventory';
import type { Order } from '../domain/order';
import type { Payment } from '../domain/payment';
import type { Shipment, Tracking } from '../domain/shipment';
import { withDeadline } from './deadline';
import {
  OverviewFailureTypeSchema,
  type OrderOverview,
  type OverviewMilestone,
  type OverviewMissingPart,
  type OverviewShipment,
  type OverviewStockSummary,
  type OverviewSystem,
} from './order-overview-schema';
import { returnEligibility } from './return-eligibility';

export * from './order-overview-schema';

// ---- config: one timeout per system, so a slow system costs the agent its own budget and no more.

const timeoutMs = z.coerce.number().int().positive().max(60_000);

export const OverviewTimeoutsSchema = z.object({
  erp: timeoutMs.default(1500),
  warehouse: timeoutMs.default(1500),
  carrier: timeoutMs.default(1000),
  payments: timeoutMs.default(1500),
});
export type OverviewTimeouts = z.infer<typeof OverviewTimeoutsSchema>;

/** OVERVIEW_TIMEOUT_MS_ERP, _WAREHOUSE, _CARRIER, _PAYMENTS; throws naming the bad variable. */
export function overviewTimeoutsFromEnv(env: Record<string, string | undefined> = process.env): OverviewTimeouts {
  const parsed = OverviewTimeoutsSchema.safeParse({
    erp: env.OVERVIEW_TIMEOUT_MS_ERP || undefined,
    warehouse: env.OVERVIEW_TIMEOUT_MS_WAREHOUSE || undefined,
    carrier: env.OVERVIEW_TIMEOUT_MS_CARRIER || undefined,
    payments: env.OVERVIEW_TIMEOUT_MS_PAYMENTS || undefined,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `OVERVIEW_TIMEOUT_MS_${String(i.path[0]).toUpperCase()}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  return parsed.data;
}

// ---- the service

/** The ERP does not know the order: the API answers 404 (any other failure gives a partial overview). */
export class OrderNotFoundError extends Error {
  override readonly name = 'OrderNotFoundError';
  constructor(readonly orderNumber: string) {
    super(`order ${orderNumber} not found`);
  }
}

export interface OrderOverviewOptions {
  /** Per-system timeouts; default from the environment (OVERVIEW_TIMEOUT_MS_*). */
  timeouts?: Partial<OverviewTimeouts>;
  /** The refund policy; default RESOLUTION_POLICY(_FILE), as the worker loads it. */
  policy?: ResolutionPolicySource;
  now?: () => Date;
}

export interface OrderOverviewService {
  overview(orderNumber: string): Promise<OrderOverview>;
  /** Releases the connectors' breaker timers. */
  close(): void;
}

type Failure = Omit<OverviewMissingPart, 'part' | 'reference'>;
type Outcome<T> = { ok: true; value: T } | { ok: false; failure: Failure };

/** Worst case answer time: max(erp + max(erp, payments), warehouse + carrier), 3 s with the defaults. */
export function createOrderOverview(config: Config, options: OrderOverviewOptions = {}): OrderOverviewService {
  const timeouts = { ...overviewTimeoutsFromEnv(), ...options.timeouts };
  const policySource = options.policy ?? loadResolutionPolicy();
  const now = options.now ?? (() => new Date());
  // Own connectors (and breakers) whose socket timeout is the overview's budget for that system.
  const withTimeout = (ms: number): Config => ({ ...config, downstream: { ...config.downstream, timeoutMs: ms } });
  const erp = createErpConnector(withTimeout(timeouts.erp));
  const warehouse = createWarehouseConnector(withTimeout(timeouts.warehouse));
  const carrier = createCarrierConnector(withTimeout(timeouts.carrier));
  const payments = createPaymentsConnector(withTimeout(timeouts.payments));

  const read = async <T>(system: OverviewSystem, operation: string, call: () => Promise<T>): Promise<Outcome<T>> => {
    try {
      return { ok: true, value: await withDeadline(system, operation, timeouts[system], call) };
    } catch (err) {
      return { ok: false, failure: describeFailure(system, err) };
    }
  };

  async function overview(orderNumber: string): Promise<OrderOverview> {
    const missing: OverviewMissingPart[] = [];
    const note = (part: OverviewMissingPart['part'], outcome: Outcome<unknown>, reference?: string) => {
      if (!outcome.ok) missing.push({ part, ...outcome.failure, ...(reference ? { reference } : {}) });
    };

    // The parcels need only the order number: they run alongside the ERP chain.
    const parcels = readParcels(orderNumber);
    const orderRead = await read('erp', 'getOrder', () => erp.getOrder(orderNumber));
    if (!orderRead.ok && orderRead.failure.failureType === 'NotFoundError') {
      void parcels; // settles on its own; its outcome is no longer needed
      throw new OrderNotFoundError(orderNumber);
    }
    const order = orderRead.ok ? orderRead.value : undefined;
    const skus = order ? [...new Set(order.lines.map((l) => l.sku))] : [];
    const [stockRead, pricesRead, paymentRead] = await Promise.all([
      order ? read('erp', 'getAvailability', () => erp.getAvailability(skus)) : undefined,
      order ? read('erp', 'getPrices', () => erp.getPrices(skus)) : undefined,
      order?.paymentId ? read('payments', 'getPayment', () => payments.getPayment(order.paymentId!)) : undefined,
    ]);
    const { shipmentsRead, trackings } = await parcels;

    note('order', orderRead);
    note('shipments', shipmentsRead);
    for (const [trackingNumber, tracking] of trackings) note('tracking', tracking, trackingNumber);
    if (order) {
      note('stock', stockRead!);
      note('returnability', pricesRead!);
      if (paymentRead) note('payment', paymentRead);
    } else {
      const skipped = { system: 'erp', failureType: 'DependencyUnavailableError', message: 'not read: the order itself could not be read' } as const;
      missing.push({ part: 'stock', ...skipped }, { part: 'payment', ...skipped, system: 'payments' }, { part: 'returnEligibility', ...skipped });
    }

    const prices = pricesRead?.ok ? pricesRead.value : undefined;
    const stock = stockRead?.ok ? stockRead.value : undefined;
    const shipments = shipmentsRead.ok ? shipmentsRead.value : [];
    return {
      orderNumber,
      complete: missing.length === 0,
      generatedAt: now().toISOString(),
      missing,
      order: order ? toOverviewOrder(order) : undefined,
      lines: order ? order.lines.map((l) => ({ lineNumber: l.lineNumber, sku: l.sku, quantity: l.quantity, unitPriceAmount: l.unitPrice.amount, currency: l.unitPrice.currency, returnable: prices?.find((p) => p.sku === l.sku)?.returnable })) : [],
      shipments: shipments.map((s) => toOverviewShipment(s, trackings.get(s.trackingNumber))),
      milestones: shipments.flatMap((s) => toMilestones(trackings.get(s.trackingNumber))),
      stock: stock ?? [],
      stockSummary: order && stock ? stockSummary(order, stock, shipments.map((s) => s.warehouseId)) : { status: 'unknown' },
      payment: paymentRead?.ok ? toOverviewPayment(paymentRead.value) : undefined,
      // The customer's segment lives in Salesforce, not read here: region overrides apply, segment ones do not.
      returnEligibility: order ? returnEligibility(order, prices, resolvePolicy(policySource, { region: order.region }), now()) : undefined,
    };
  }

  async function readParcels(orderNumber: string): Promise<{ shipmentsRead: Outcome<Shipment[]>; trackings: Map<string, Outcome<Tracking>> }> {
    const shipmentsRead = await read('warehouse', 'getShipmentsForOrder', () => warehouse.getShipmentsForOrder(orderNumber));
    const numbers = shipmentsRead.ok ? [...new Set(shipmentsRead.value.map((s) => s.trackingNumber))] : [];
    const tracked = await Promise.all(numbers.map((n) => read('carrier', 'getTrackingMilestones', () => carrier.getTrackingMilestones(n))));
    return { shipmentsRead, trackings: new Map(numbers.map((n, i) => [n, tracked[i]])) };
  }

  return {
    overview,
    close: () => {
      erp.shutdown();
      warehouse.shutdown();
      carrier.shutdown();
      payments.shutdown();
    },
  };
}

function describeFailure(system: OverviewSystem, err: unknown): Failure {
  const type = OverviewFailureTypeSchema.safeParse(isDownstreamError(err) ? err.type : undefined);
  return { system, failureType: type.success ? type.data : 'UnexpectedError', message: err instanceof Error ? err.message : String(err) };
}

function toOverviewOrder(order: Order): NonNullable<OrderOverview['order']> {
  return {
    orderNumber: order.orderNumber,
    status: order.status,
    channel: order.channel,
    placedAt: order.placedAt,
    customerId: order.customerId,
    storeId: order.storeId,
    region: order.region,
    currency: order.total.currency,
    totalAmount: order.total.amount,
    paymentId: order.paymentId,
  };
}

function toOverviewShipment(s: Shipment, tracking: Outcome<Tracking> | undefined): OverviewShipment {
  const known = tracking?.ok ? tracking.value : undefined;
  const last = known?.milestones.at(-1);
  return {
    shipmentId: s.shipmentId,
    trackingNumber: s.trackingNumber,
    carrier: s.carrier,
    warehouseId: s.warehouseId,
    warehouseStatus: s.status,
    shippedAt: s.shippedAt,
    deliveredAt: s.deliveredAt,
    trackingStatus: known?.status ?? 'unknown',
    estimatedDelivery: known?.estimatedDelivery,
    lastMilestoneAt: last?.occurredAt,
    lastMilestoneLocation: last?.location,
  };
}

function toMilestones(tracking: Outcome<Tracking> | undefined): OverviewMilestone[] {
  if (!tracking?.ok) return [];
  const { trackingNumber, milestones } = tracking.value;
  return milestones.map((m) => ({ trackingNumber, code: m.code, carrierCode: m.carrierCode, description: m.description, location: m.location, occurredAt: m.occurredAt }));
}

function toOverviewPayment(p: Payment): NonNullable<OrderOverview['payment']> {
  return {
    paymentId: p.paymentId,
    status: p.status,
    method: p.method,
    currency: p.amount.currency,
    amount: p.amount.amount,
    capturedAmount: p.captured.amount,
    refundedAmount: p.refunded.amount,
    refundableAmount: p.refundable.amount,
    settlementStatus: p.settlement.status,
    settledAt: p.settlement.settledAt,
  };
}

/** The first warehouse holding every line (those that shipped the order first), as the case workflow picks it. */
function stockSummary(order: Order, rows: StockAvailability[], preferred: string[]): OverviewStockSummary {
  const warehouseId = warehouseHolding(order.lines, rows, preferred);
  return warehouseId ? { status: 'available', warehouseId } : { status: 'unavailable' };
}
