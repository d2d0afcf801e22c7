import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SystemContext } from '../../core/system';
import { seedCustomerMaster } from '../../seed/customer-master';
import type { World } from '../../seed/world';
import { reject, sendCloudError, validationError } from './errors';
import { InvalidCursorError, encodeCursor, pageOf } from './paging';
import { decimal, type CloudErpState } from './state';

/** The ERP's customer master record, in its own dialect (upper-case codes, decimal strings). */
export interface CloudCustomer {
  customerNumber: string;
  name: string;
  email: string;
  phone: string;
  billingAddress: { street: string; city: string; postalCode: string; country: string };
  segment: CloudSegment;
  marketingConsent: boolean;
  creditLimit: string;
  currency: string;
  paymentTerms: CloudPaymentTerms;
  /** The ERP's commit stamp: strictly increasing across all customers, so a watermark never skips one. */
  lastModified: string;
  version: number;
}

const SEGMENTS = ['STANDARD', 'LOYALTY_SILVER', 'LOYALTY_GOLD', 'EMPLOYEE'] as const;
type CloudSegment = (typeof SEGMENTS)[number];
const PAYMENT_TERMS = ['NET15', 'NET30', 'NET60', 'PREPAID'] as const;
type CloudPaymentTerms = (typeof PAYMENT_TERMS)[number];

export function seedCloudCustomers(world: World): Record<string, CloudCustomer> {
  const base = Date.parse(world.baseDate) - world.customers.length * 60_000;
  return Object.fromEntries(
    world.customers.map((c, i) => {
      const master = seedCustomerMaster(world, c);
      const customer: CloudCustomer = {
        customerNumber: c.customerId,
        name: `${c.firstName} ${c.lastName}`,
        email: c.email,
        phone: c.phone,
        billingAddress: master.billingAddress,
        segment: c.segment.toUpperCase().replace('-', '_') as CloudSegment,
        marketingConsent: master.marketingConsent,
        creditLimit: decimal(master.creditLimit),
        currency: master.currency,
        paymentTerms: master.paymentTerms,
        lastModified: new Date(base + i * 60_000).toISOString(),
        version: 1,
      };
      return [c.customerId, customer];
    }),
  );
}

const Address = z.strictObject({ street: z.string().min(1).max(255), city: z.string().min(1).max(80), postalCode: z.string().min(1).max(20), country: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166 alpha-2') });
const CustomerUpdate = z
  .strictObject({
    name: z.string().min(1).max(255),
    email: z.email(),
    phone: z.string().min(3).max(40),
    billingAddress: Address,
    segment: z.enum(SEGMENTS),
    marketingConsent: z.boolean(),
    creditLimit: z.string().regex(/^\d+(\.\d{1,2})?$/, 'decimal string such as "1500.00"'),
    paymentTerms: z.enum(PAYMENT_TERMS),
  })
  .partial()
  .refine((u) => Object.keys(u).length > 0, 'at least one field to change');
const ChangesQuery = z.strictObject({
  cursor: z.string().min(1).optional(),
  /** Inclusive: changes stamped at or after this time (first page only; then follow the cursor). */
  since: z.iso.datetime().optional(),
  pageSize: z.coerce.number().int().min(1).max(500).default(100),
});

/** (lastModified, customerNumber): the order of the change feed; the stamp has a fixed width, so text order is time order. */
const changeKey = (c: CloudCustomer) => `${c.lastModified}|${c.customerNumber}`;
const etag = (c: CloudCustomer) => `"${c.version}"`;

/** The customer master: read one, follow changes by watermark, update one under optimistic concurrency. */
export function customerRoutes(app: FastifyInstance, ctx: SystemContext<CloudErpState>): void {
  const customers = () => (ctx.store.data.customers ??= {});

  /** The next commit stamp: never equal to or before an earlier one, even within one millisecond. */
  const stamp = () => {
    const counters = ctx.store.data.counters;
    const next = Math.max(Date.now(), (counters.customerClock ?? 0) + 1);
    counters.customerClock = next;
    return new Date(next).toISOString();
  };

  app.get<{ Params: { customerNumber: string } }>('/api/v2/customers/:customerNumber', async (request, reply) => {
    const customer = customers()[request.params.customerNumber];
    if (!customer) return sendCloudError(reply, 404, 'CUSTOMER_NOT_FOUND', `customer ${request.params.customerNumber} does not exist`);
    return reply.header('etag', etag(customer)).send(structuredClone(customer));
  });

  app.get('/api/v2/customer-changes', async (request, reply: FastifyReply) => {
    const q = ChangesQuery.safeParse(request.query);
    if (!q.success) return sendCloudError(reply, 400, 'VALIDATION_ERROR', `invalid query: ${q.error.issues.map((i) => `${i.path.join('.') || '(query)'} ${i.message}`).join('; ')}`);
    if (q.data.cursor && q.data.since) return sendCloudError(reply, 400, 'VALIDATION_ERROR', 'send either since (first page) or cursor (every later page), not both');
    const all = Object.values(customers());
    const from = q.data.since ? all.filter((c) => c.lastModified >= new Date(q.data.since!).toISOString()) : all;
    try {
      const page = pageOf(from, changeKey, q.data.pageSize, q.data.cursor, () => ctx.faults.repeatsCursor('GET', request.url.split('?')[0]));
      const last = page.data.at(-1);
      // The cursor after the last change returned (or the one asked with): the watermark a poller keeps.
      const nextCursor = last ? encodeCursor(changeKey(last)) : (q.data.cursor ?? null);
      // A repeated-cursor fault hands back the cursor asked with, as a paging bug would.
      const repeated = q.data.cursor !== undefined && page.nextCursor === q.data.cursor;
      return { data: page.data.map((c) => structuredClone(c)), nextCursor: repeated ? q.data.cursor : nextCursor, hasMore: page.nextCursor !== null };
    } catch (err) {
      if (err instanceof InvalidCursorError) return sendCloudError(reply, 400, 'INVALID_CURSOR', err.message);
      throw err;
    }
  });

  app.patch<{ Params: { customerNumber: string } }>('/api/v2/customers/:customerNumber', async (request, reply) => {
    const ifMatch = request.headers['if-match'];
    if (typeof ifMatch !== 'string' || !/^(W\/)?"?\d+"?$/.test(ifMatch.trim())) return sendCloudError(reply, 428, 'PRECONDITION_REQUIRED', 'If-Match with the version read ("<version>") is required to update a customer');
    const expected = Number(ifMatch.replace(/\D/g, ''));
    return ctx.idempotent(request, reply, () => {
      const customer = customers()[request.params.customerNumber];
      if (!customer) return reject(404, 'CUSTOMER_NOT_FOUND', `customer ${request.params.customerNumber} does not exist`);
      const input = CustomerUpdate.safeParse(request.body);
      if (!input.success) return validationError(input.error);
      if (customer.version !== expected) return reject(412, 'VERSION_MISMATCH', `customer ${customer.customerNumber} is at version ${customer.version}, not ${expected}`, { currentVersion: customer.version });
      const changed = Object.fromEntries(Object.entries(input.data).filter(([field, value]) => JSON.stringify(value) !== JSON.stringify(customer[field as keyof CloudCustomer])));
      // Nothing differs: no new version, so no change for pollers to see.
      if (Object.keys(changed).length === 0) return { status: 200, body: structuredClone(customer) };
      if (typeof changed.creditLimit === 'string') changed.creditLimit = decimal(Math.round(Number(changed.creditLimit) * 100));
      Object.assign(customer, changed, { version: customer.version + 1, lastModified: stamp() });
      ctx.store.changed();
      ctx.record({ kind: 'customer.updated', ref: customer.customerNumber, idempotencyKey: request.headers['idempotency-key'] as string | undefined, data: { version: customer.version, fields: changed } });
      return { status: 200, body: structuredClone(customer) };
    });
  });
}
