import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../config';
import { loadResolutionPolicy, resolvePolicy, type ResolutionPolicySource } from '../config/policy';
import { createErpConnector, createErpPricingConnector } from '../connectors/erp';
import { createSalesforceConnector } from '../connectors/salesforce';
import type { Customer } from '../domain/customer';
import { isDownstreamError, type SystemName } from '../domain/errors';
import type { StockAvailability } from '../domain/inventory';
import type { Money } from '../domain/money';
import { promotionalUnitPrice } from '../domain/pricing';
import type { ProductPrice } from '../domain/product';
import type { ReturnAuthorization, ReturnAuthorizationRequest } from '../domain/return-authorization';
import { FactsUnavailableError } from './case-errors';
import { withDeadline } from './deadline';
import type { OverviewReturnEligibility } from './order-overview-schema';
import { returnEligibility } from './return-eligibility';

/**
 * Governed reads and the return authorization: customer lookup (Salesforce), availability and prices
 * (the ERP), each system asked with its own deadline, and a return authorized only when the order is
 * eligible, created in the ERP under the caller's Idempotency-Key.
 */

const timeoutMs = z.coerce.number().int().positive().max(60_000);
export const MasterDataTimeoutsSchema = z.object({ salesforce: timeoutMs.default(2000), erp: timeoutMs.default(1500) });
export type MasterDataTimeouts = z.infer<typeof MasterDataTimeoutsSchema>;

/** MASTER_DATA_TIMEOUT_MS_SALESFORCE, _ERP; throws naming the bad variable. */
export function masterDataTimeoutsFromEnv(env: Record<string, string | undefined> = process.env): MasterDataTimeouts {
  const parsed = MasterDataTimeoutsSchema.safeParse({ salesforce: env.MASTER_DATA_TIMEOUT_MS_SALESFORCE || undefined, erp: env.MASTER_DATA_TIMEOUT_MS_ERP || undefined });
  if (!parsed.success) throw new Error(`invalid configuration: ${parsed.error.issues.map((i) => `MASTER_DATA_TIMEOUT_MS_${String(i.path[0]).toUpperCase()}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export class MasterDataNotFoundError extends Error {
  override readonly name = 'MasterDataNotFoundError';
  constructor(
    readonly slug: 'customer-not-found' | 'order-not-found' | 'location-not-found',
    message: string,
  ) {
    super(message);
  }
}

/** The request cannot be authorized: the order is not eligible, or a line is not on it, not returnable or too many. */
export class ReturnRefusedError extends Error {
  override readonly name = 'ReturnRefusedError';
  constructor(
    readonly slug: 'return-not-eligible' | 'lines-refused',
    message: string,
    readonly details: { reason?: string; sku?: string } = {},
  ) {
    super(message);
  }
}

/** The same Idempotency-Key sent before with another request (the ERP holds the key). */
export class ReturnKeyConflictError extends Error {
  override readonly name = 'ReturnKeyConflictError';
}

export interface CustomerView {
  customer: Customer;
  retrievedAt: string;
}

/** One SKU at one location: the ERP's count (the system of record) beside what Salesforce shows. */
export interface AvailabilityRow {
  sku: string;
  warehouseId: string;
  onHand?: number;
  reserved?: number;
  available?: number;
  salesforceAvailable?: number;
  salesforceChangedAt?: string;
}

export interface MissingSystem {
  source: 'erp' | 'salesforce';
  failureType: string;
  message: string;
}

export interface AvailabilityView {
  location?: string;
  /** False when a system did not answer in time: `missing` names it, and its fields are absent. */
  complete: boolean;
  missing: MissingSystem[];
  rows: AvailabilityRow[];
  /** SKUs neither system has a record of (at this location). */
  unknownSkus: string[];
}

/** A SKU's list price at the moment asked, with the promotion live then (the ERP's, whether or not Salesforce shows it yet). */
export type PriceAtMoment = ProductPrice & { promotion?: { promotionId: string; unitPrice: Money } };

export interface PricesView {
  at: string;
  prices: PriceAtMoment[];
  unknownSkus: string[];
}

export interface ReturnAuthorizationView {
  returnAuthorization: ReturnAuthorization;
  eligibility: OverviewReturnEligibility;
}

export interface MasterDataService {
  customer(customerId: string): Promise<CustomerView>;
  availability(skus: string[], location?: string): Promise<AvailabilityView>;
  prices(skus: string[], at?: string): Promise<PricesView>;
  /** `idempotencyKey` is already the caller's own (scoped by the API key): the ERP deduplicates on it. */
  authorizeReturn(request: ReturnAuthorizationRequest, idempotencyKey: string): Promise<ReturnAuthorizationView>;
  close(): void;
}

export interface MasterDataOptions {
  timeouts?: Partial<MasterDataTimeouts>;
  policy?: ResolutionPolicySource;
  now?: () => Date;
}

/** How far `at` may be from now and still be answered by the ERP's current list prices. */
export const PRICE_AT_TOLERANCE_MS = 60_000;

export function createMasterData(config: Config, options: MasterDataOptions = {}): MasterDataService {
  const timeouts = { ...masterDataTimeoutsFromEnv(), ...options.timeouts };
  const policySource = options.policy ?? loadResolutionPolicy();
  const now = options.now ?? (() => new Date());
  const withTimeout = (ms: number): Config => ({ ...config, downstream: { ...config.downstream, timeoutMs: ms } });
  const salesforce = createSalesforceConnector(withTimeout(timeouts.salesforce));
  const erp = createErpConnector(withTimeout(timeouts.erp));
  const erpPricing = createErpPricingConnector(withTimeout(timeouts.erp));

  /** One system's answer within its deadline; a missing record is the caller's 404, any other failure a 503. */
  const ask = async <T>(system: 'salesforce' | 'erp', operation: string, call: () => Promise<T>, notFound?: () => Error): Promise<T> => {
    try {
      return await withDeadline(system as SystemName, operation, timeouts[system], call);
    } catch (err) {
      if (notFound && isDownstreamError(err) && err.type === 'NotFoundError') throw notFound();
      if (isDownstreamError(err) && (err.type === 'ValidationError' || err.type === 'BusinessRejectionError' || err.type === 'IdempotencyConflictError')) throw err;
      throw new FactsUnavailableError(system as SystemName, `${system === 'erp' ? 'the ERP' : 'Salesforce'} did not answer ${operation} in time (${err instanceof Error ? err.message : String(err)})`);
    }
  };

  return {
    async customer(customerId) {
      const customer = await ask('salesforce', 'getCustomer', () => salesforce.getCustomer(customerId), () => new MasterDataNotFoundError('customer-not-found', `no customer ${customerId}`));
      return { customer, retrievedAt: now().toISOString() };
    },

    async availability(skus, location) {
      // Both systems at once, each within its own deadline: one that is late leaves its fields out, not the answer.
      const unknownLocation = () => new MasterDataNotFoundError('location-not-found', `the ERP has no location ${location}`);
      const [counted, shown] = await Promise.allSettled([ask('erp', 'getAvailability', () => erp.getAvailability(skus, location), unknownLocation), ask('salesforce', 'listStockAvailability', () => salesforce.listStockAvailability(skus, location))]);
      // An unknown location is the caller's mistake, not a late system: the whole answer is a 404.
      if (counted.status === 'rejected' && counted.reason instanceof MasterDataNotFoundError) throw counted.reason;
      if (counted.status === 'rejected' && shown.status === 'rejected') throw counted.reason;
      const missing: MissingSystem[] = [];
      const rows = new Map<string, AvailabilityRow>();
      const row = (sku: string, warehouseId: string) => rows.get(`${sku}@${warehouseId}`) ?? rows.set(`${sku}@${warehouseId}`, { sku, warehouseId }).get(`${sku}@${warehouseId}`)!;
      if (counted.status === 'fulfilled') {
        for (const r of counted.value as StockAvailability[]) if (skus.includes(r.sku) && (!location || r.warehouseId === location)) Object.assign(row(r.sku, r.warehouseId), { onHand: r.onHand, reserved: r.reserved, available: r.available });
      } else missing.push(missingOf('erp', counted.reason));
      if (shown.status === 'fulfilled') {
        for (const r of shown.value) Object.assign(row(r.sku, r.location), { salesforceAvailable: r.available, salesforceChangedAt: r.changedAt });
      } else missing.push(missingOf('salesforce', shown.reason));
      const sorted = [...rows.values()].sort((a, b) => a.sku.localeCompare(b.sku) || a.warehouseId.localeCompare(b.warehouseId));
      return { location, complete: missing.length === 0, missing, rows: sorted, unknownSkus: skus.filter((s) => !sorted.some((r) => r.sku === s)) };
    },

    async prices(skus, at) {
      const moment = at ? new Date(at) : now();
      // The ERP keeps current and scheduled prices, not superseded ones: a past moment cannot be answered truthfully.
      if (moment.getTime() < now().getTime() - PRICE_AT_TOLERANCE_MS) throw new PricesNotEffectiveDatedError(moment.toISOString());
      const future = moment.getTime() > now().getTime() + PRICE_AT_TOLERANCE_MS;
      const iso = moment.toISOString();
      const [products, scheduled, promotions] = await Promise.all([
        ask('erp', 'getPrices', () => erp.getPrices(skus)),
        future ? ask('erp', 'getDefaultPrices', () => erpPricing.getDefaultPrices(skus, iso)) : undefined,
        ask('erp', 'listLivePromotions', () => erpPricing.listLivePromotions(skus, iso)),
      ]);
      const mine: PriceAtMoment[] = [];
      for (const product of products.filter((p) => skus.includes(p.sku)).sort((a, b) => a.sku.localeCompare(b.sku))) {
        // A future moment is priced by the list price in force then; a SKU without one then is unknown then.
        const unitPrice = scheduled ? scheduled.find((p) => p.sku === product.sku)?.unitPrice : product.unitPrice;
        if (!unitPrice) continue;
        // Overlapping promotions: the lowest price wins, as at the till.
        const offers = promotions.filter((p) => p.skus.includes(product.sku)).map((p) => ({ promotionId: p.promotionId, unitPrice: promotionalUnitPrice(p, unitPrice) }));
        const best = offers.sort((a, b) => a.unitPrice.amount - b.unitPrice.amount)[0];
        mine.push({ ...product, unitPrice, ...(best ? { promotion: best } : {}) });
      }
      return { at: iso, prices: mine, unknownSkus: skus.filter((s) => !mine.some((p) => p.sku === s)) };
    },

    async authorizeReturn(request, idempotencyKey) {
      const order = await ask('erp', 'getOrder', () => erp.getOrder(request.orderNumber), () => new MasterDataNotFoundError('order-not-found', `the ERP has no order ${request.orderNumber}`));
      const skus = [...new Set(order.lines.map((l) => l.sku))];
      const products = await ask('erp', 'getPrices', () => erp.getPrices(skus));
      const eligibility = returnEligibility(order, products, resolvePolicy(policySource, { region: order.region }), now());
      if (!eligibility.eligible) throw new ReturnRefusedError('return-not-eligible', `order ${order.orderNumber} cannot be returned: ${eligibility.reason}`, { reason: eligibility.reason });
      for (const line of request.lines) {
        const ordered = order.lines.filter((l) => l.sku === line.sku).reduce((sum, l) => sum + l.quantity, 0);
        if (ordered === 0) throw new ReturnRefusedError('lines-refused', `${line.sku} is not on order ${order.orderNumber}`, { sku: line.sku });
        if (!eligibility.returnableSkus.includes(line.sku)) throw new ReturnRefusedError('lines-refused', `${line.sku} is not returnable`, { sku: line.sku });
        if (line.quantity > ordered) throw new ReturnRefusedError('lines-refused', `${line.quantity} × ${line.sku} is more than the ${ordered} ordered`, { sku: line.sku });
      }
      try {
        const returnAuthorization = await ask('erp', 'createReturnAuthorization', () => erp.createReturnAuthorization(request, idempotencyKey));
        return { returnAuthorization, eligibility };
      } catch (err) {
        if (isDownstreamError(err) && err.type === 'IdempotencyConflictError') throw new ReturnKeyConflictError('this idempotency key was used with a different return authorization');
        // The ERP is the authority on what is left to return (earlier authorizations count).
        if (isDownstreamError(err) && (err.type === 'BusinessRejectionError' || err.type === 'ValidationError')) throw new ReturnRefusedError('lines-refused', `the ERP refused the return: ${err.message}`);
        throw err;
      }
    },

    close: () => {
      salesforce.shutdown();
      erp.shutdown();
      erpPricing.shutdown();
    },
  };
}

function missingOf(source: MissingSystem['source'], err: unknown): MissingSystem {
  const cause = err instanceof FactsUnavailableError ? 'TimeoutOrUnavailable' : isDownstreamError(err) ? err.type : 'UnexpectedError';
  return { source, failureType: cause, message: err instanceof Error ? err.message : String(err) };
}

export class PricesNotEffectiveDatedError extends Error {
  override readonly name = 'PricesNotEffectiveDatedError';
  constructor(readonly at: string) {
    super(`the ERP keeps current and scheduled prices, not past ones; prices at ${at} cannot be answered (omit "at", or send now or a later time)`);
  }
}

/** The ERP idempotency key of a caller's return authorization: the caller's key, never shared with another caller's. */
export function returnAuthorizationKey(caller: string, key: string): string {
  return `return-authorization/${createHash('sha256').update(`${caller}\n${key}`).digest('hex').slice(0, 40)}`;
}
