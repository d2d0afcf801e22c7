import type { Order } from '../domain/order';
import type { ResolutionPolicy } from '../domain/policy';
import type { ProductPrice } from '../domain/product';
import type { OverviewReturnEligibility } from './order-overview-schema';

const DAY_MS = 86_400_000;

/**
 * Whether an order can still be returned: inside the policy's refund window (counted from the order's
 * placement, as decideResolution counts it), not cancelled, and with at least one returnable SKU when
 * the ERP's product data is known. Pure, so tests and the workflow-side policy agree on the window.
 */
export function returnEligibility(order: Order, products: ProductPrice[] | undefined, policy: ResolutionPolicy, now: Date): OverviewReturnEligibility {
  const windowEndsAt = new Date(Date.parse(order.placedAt) + policy.refundWindowDays * DAY_MS);
  const skus = [...new Set(order.lines.map((l) => l.sku))];
  const returnable = products ? skus.filter((sku) => products.find((p) => p.sku === sku)?.returnable === true) : [];
  const nonReturnable = products ? skus.filter((sku) => !returnable.includes(sku)) : [];
  const reason =
    order.status === 'cancelled'
      ? 'order-cancelled'
      : now.getTime() > windowEndsAt.getTime()
        ? 'outside-refund-window'
        : products && returnable.length === 0
          ? 'no-returnable-items'
          : 'eligible';
  return {
    eligible: reason === 'eligible',
    reason,
    refundWindowDays: policy.refundWindowDays,
    refundWindowEndsAt: windowEndsAt.toISOString(),
    returnableSkusKnown: products !== undefined,
    returnableSkus: returnable,
    nonReturnableSkus: nonReturnable,
  };
}
