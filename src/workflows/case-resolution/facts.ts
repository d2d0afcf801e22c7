import { isCancellation, patched, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { ErpActivities } from '../../activities/erp';
import type { PaymentsActivities } from '../../activities/payments';
import type { WarehouseActivities } from '../../activities/warehouse';
import type { Case, CaseReason } from '../../domain/case';
import type { StockAvailability } from '../../domain/inventory';
import type { Money } from '../../domain/money';
import type { Order, OrderChannel, OrderLine, OrderStatus } from '../../domain/order';
import { warehouseHolding } from '../../domain/case-lines';
import type { ResolutionPolicy, ResolutionPolicyInput } from '../../domain/policy';
import type { MilestoneCode, Shipment } from '../../domain/shipment';
import { policySnapshot } from '../lib/case-facts';
import { proxyWithAlert, untilSucceeded } from '../lib/persistent';
import type { SystemQueues } from '../lib/queues';
import { FEWER_ACTIONS_PATCH } from '../lib/stage';

/** What the agent (and the policy) needs at once: order, parcels, stock, settlement. */
export interface CaseFacts {
  reason: CaseReason;
  order: {
    orderNumber: string;
    status: OrderStatus;
    placedAt: string;
    channel: OrderChannel;
    total: Money;
    lines: OrderLine[];
    paymentId?: string;
  };
  /** "unknown" when the warehouse or the carrier could not be read: the case goes on without it. */
  shipment: { status: MilestoneCode | 'not-shipped' | 'unknown'; parcels: ParcelFact[] };
  /** One warehouse holding every line of the order (the one that shipped it first), if any. */
  stock: { status: 'available' | 'unavailable' | 'unknown'; warehouseId?: string };
  settlement: { status: 'pending' | 'settled' | 'unknown'; paymentId?: string; refundable?: Money };
}

export interface ParcelFact {
  trackingNumber: string;
  carrier: string;
  warehouseId: string;
  status: MilestoneCode | 'unknown';
}

export interface GatheredFacts {
  order: Order;
  facts: CaseFacts;
  /** The configured policy for this customer, with the input's overrides on top. */
  policy: ResolutionPolicy;
}

const readOptions: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds' },
};
// Facts that only inform the agent: a few tries, then "unknown" rather than a stuck case.
const glanceAttempts = 3;
const glanceOptions: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 seconds', maximumAttempts: glanceAttempts },
};

type Alert = (step: string, err: unknown) => Promise<void>;

/** A fact that could not be read is unknown; a cancelled case is still cancelled. */
function unknown(err: unknown): undefined {
  if (isCancellation(err)) throw err;
  return undefined;
}

/** Order (essential: retried until it succeeds), then stock and settlement; parcels and the policy alongside. */
export async function gatherFacts(kase: Case & { orderNumber: string }, queues: SystemQueues, policyInput: ResolutionPolicyInput | undefined, alert: Alert): Promise<GatheredFacts> {
  const alertAfter = policyInput?.alertAfterAttempts ?? 5;
  const erp = proxyWithAlert<ErpActivities>({ ...readOptions, taskQueue: queues.erp }, alertAfter);
  const warehouse = proxyActivities<WarehouseActivities>({ ...glanceOptions, taskQueue: queues.warehouse });
  const payments = proxyActivities<PaymentsActivities>({ ...glanceOptions, taskQueue: queues.payments });

  // Since the patch: one call per system (order with stock; shipments with tracking), the same facts in fewer billable actions.
  const batched = patched(FEWER_ACTIONS_PATCH);
  const orderAndMore = async () => {
    if (batched) {
      const read = await untilSucceeded('read order', (p) => erp[p].getOrderWithStock(kase.orderNumber), alert);
      const payment = read.order.paymentId ? await payments.getPayment(read.order.paymentId).catch(unknown) : undefined;
      return { order: read.order, stock: read.stock, payment };
    }
    const order = await untilSucceeded('read order', (p) => erp[p].getOrder(kase.orderNumber), alert);
    const [stock, payment] = await Promise.all([
      // Stock decides replacement or refund: retried like the order; only a rejection leaves it unknown.
      untilSucceeded('read stock', (p) => erp[p].getStockAvailability(order.lines.map((l) => l.sku)), alert).catch(unknown),
      order.paymentId ? payments.getPayment(order.paymentId).catch(unknown) : Promise.resolve(undefined),
    ]);
    return { order, stock, payment };
  };
  const parcels = async (): Promise<ParcelFact[] | undefined> => {
    if (batched) {
      const tracked = await warehouse.getShipmentsWithTracking(kase.orderNumber, { settleFromAttempt: glanceAttempts }).catch(unknown);
      return tracked?.map(({ shipment: s, tracking }) => ({ trackingNumber: s.trackingNumber, carrier: s.carrier, warehouseId: s.warehouseId, status: tracking }));
    }
    const shipments = await warehouse.getShipmentsForOrder(kase.orderNumber).catch(unknown);
    if (!shipments) return undefined;
    return Promise.all(shipments.map((s) => trackParcel(s, warehouse)));
  };
  const policy = () => policySnapshot(kase, policyInput);

  const [{ order, stock, payment }, shipped, effectivePolicy] = await Promise.all([orderAndMore(), parcels(), policy()]);
  const preferred = shipped?.map((p) => p.warehouseId) ?? [];
  const facts: CaseFacts = {
    reason: kase.reason ?? 'other',
    order: { orderNumber: order.orderNumber, status: order.status, placedAt: order.placedAt, channel: order.channel, total: order.total, lines: order.lines, paymentId: order.paymentId },
    shipment: { status: shipmentStatus(shipped), parcels: shipped ?? [] },
    stock: stock ? stockFact(order, stock, preferred) : { status: 'unknown' },
    settlement: payment ? { status: payment.settlement.status, paymentId: payment.paymentId, refundable: payment.refundable } : { status: 'unknown', paymentId: order.paymentId },
  };
  return { order, facts, policy: effectivePolicy };
}

async function trackParcel(s: Shipment, warehouse: { getTrackingMilestones: WarehouseActivities['getTrackingMilestones'] }): Promise<ParcelFact> {
  const tracking = await warehouse.getTrackingMilestones(s.trackingNumber).catch(unknown);
  return { trackingNumber: s.trackingNumber, carrier: s.carrier, warehouseId: s.warehouseId, status: tracking?.status ?? 'unknown' };
}

const progress: MilestoneCode[] = ['label_created', 'picked_up', 'in_transit', 'out_for_delivery', 'delivered'];

/** The least advanced parcel speaks for the order; an exception anywhere wins. */
function shipmentStatus(parcels: ParcelFact[] | undefined): CaseFacts['shipment']['status'] {
  if (!parcels) return 'unknown';
  if (parcels.length === 0) return 'not-shipped';
  if (parcels.some((p) => p.status === 'unknown')) return 'unknown';
  if (parcels.some((p) => p.status === 'exception')) return 'exception';
  return progress[Math.min(...parcels.map((p) => progress.indexOf(p.status as MilestoneCode)))];
}

/** The first warehouse (those that shipped the order first) with every line's quantity available. */
function stockFact(order: Order, rows: StockAvailability[], preferred: string[]): CaseFacts['stock'] {
  const warehouseId = warehouseHolding(order.lines, rows, preferred);
  return warehouseId ? { status: 'available', warehouseId } : { status: 'unavailable' };
}
