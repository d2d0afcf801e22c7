import { z } from 'zod';

/**
 * Proactive service: what order sync saw that the customer will call about (a carrier exception, a
 * delivery later than promised), raised in Salesforce before they call, once per order and finding.
 */
export const ProactiveKindSchema = z.enum(['carrier-exception', 'late-delivery']);
export type ProactiveKind = z.infer<typeof ProactiveKindSchema>;

const Ref = z.string().min(1).max(128);
const Timestamp = z.iso.datetime({ offset: true });

export const ProactiveFindingSchema = z.object({
  /** The Salesforce external id (Retail_Key__c) of the Case or Task it becomes: the same finding never makes a second. */
  key: z.string().min(1).max(255),
  kind: ProactiveKindSchema,
  orderNumber: Ref,
  customerId: Ref.optional(),
  orderStatus: z.string().max(32).optional(),
  trackingNumber: Ref.optional(),
  carrier: Ref.optional(),
  milestone: z.string().max(32).optional(),
  location: z.string().max(200).optional(),
  /** When the event that showed it happened. */
  seenAt: Timestamp,
  promisedDeliveryBy: Timestamp.optional(),
  estimatedDelivery: Timestamp.optional(),
  deliveredAt: Timestamp.optional(),
});
export type ProactiveFinding = z.infer<typeof ProactiveFindingSchema>;

/** Where the finding landed: a new Case, or a Task on the order's open Case. */
export interface ProactiveCaseResult {
  via: 'case' | 'task';
  caseId: string;
  taskId?: string;
  created: boolean;
}

/** One key per order and finding: per parcel for an exception, per promise for a late delivery. */
export function proactiveKey(kind: ProactiveKind, orderNumber: string, ref: string): string {
  return `proactive:${orderNumber}:${kind}:${ref}`;
}

export function proactiveSubject(f: ProactiveFinding): string {
  if (f.kind === 'carrier-exception') return `Carrier exception on order ${f.orderNumber}${f.carrier ? ` (${f.carrier} ${f.trackingNumber ?? ''})`.replace(' )', ')') : ''}`;
  return f.deliveredAt ? `Order ${f.orderNumber} was delivered later than promised` : `Order ${f.orderNumber} will arrive later than promised`;
}

/** The facts an agent needs to call the customer first, one per line. */
export function proactiveDescription(f: ProactiveFinding): string {
  const lines = [
    f.kind === 'carrier-exception' ? 'The carrier reported an exception for this parcel.' : 'The delivery is later than the date promised to the customer.',
    `Order: ${f.orderNumber}${f.orderStatus ? ` (${f.orderStatus})` : ''}`,
    f.customerId && `Customer: ${f.customerId}`,
    f.trackingNumber && `Tracking: ${f.carrier ? `${f.carrier} ` : ''}${f.trackingNumber}`,
    f.milestone && `Last scan: ${f.milestone}${f.location ? ` at ${f.location}` : ''}, ${f.seenAt}`,
    f.promisedDeliveryBy && `Promised by: ${f.promisedDeliveryBy}`,
    f.estimatedDelivery && `Carrier estimate: ${f.estimatedDelivery}`,
    f.deliveredAt && `Delivered: ${f.deliveredAt}`,
  ];
  return lines.filter(Boolean).join('\n');
}
