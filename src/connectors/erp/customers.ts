import { z } from 'zod';
import type { Config } from '../../config';
import { isDownstreamError } from '../../domain/errors';
import { BillingAddressSchema, PaymentTermsSchema, type CustomerMasterValues } from '../../domain/customer-master';
import type { CustomerSegment } from '../../domain/customer';
import { fromDecimal, toDecimal } from '../../domain/money';
import { breakerOptionsFromConfig, type BreakerOptions } from '../shared/breaker';
import type { HttpSystem } from '../shared/http';
import { cloudErpHttp } from './cloud-adapter';
import { repeatedCursorError } from '../shared/paging';

/** The cloud ERP's customer master (/api/v2/customers): read, change feed by watermark, updates under If-Match. */
const CloudCustomer = z.object({
  customerNumber: z.string(),
  name: z.string(),
  email: z.string(),
  phone: z.string(),
  billingAddress: BillingAddressSchema,
  segment: z.enum(['STANDARD', 'LOYALTY_SILVER', 'LOYALTY_GOLD', 'EMPLOYEE']),
  marketingConsent: z.boolean(),
  creditLimit: z.string().regex(/^\d+(\.\d{1,2})?$/),
  currency: z.string(),
  paymentTerms: PaymentTermsSchema,
  lastModified: z.string(),
  version: z.number().int().positive(),
});
type CloudCustomer = z.infer<typeof CloudCustomer>;
const CloudCustomerChanges = z.object({ data: z.array(CloudCustomer), nextCursor: z.string().nullable(), hasMore: z.boolean() });

/** One customer as the ERP holds it, in canonical terms. */
export interface ErpCustomerRecord {
  customerId: string;
  values: Required<CustomerMasterValues>;
  currency: string;
  version: number;
  lastModified: string;
}

export type ErpCustomerUpdateResult = { status: 'updated'; record: ErpCustomerRecord } | { status: 'stale'; currentVersion?: number };

export function toErpCustomerRecord(c: CloudCustomer): ErpCustomerRecord {
  return {
    customerId: c.customerNumber,
    values: {
      name: c.name,
      email: c.email,
      phone: c.phone,
      marketingConsent: c.marketingConsent,
      segment: c.segment.toLowerCase().replace('_', '-') as CustomerSegment,
      creditLimit: fromDecimal(c.creditLimit, c.currency).amount,
      paymentTerms: c.paymentTerms,
      billingAddress: c.billingAddress,
    },
    currency: c.currency,
    version: c.version,
    lastModified: c.lastModified,
  };
}

function toCloudUpdate(values: CustomerMasterValues): Record<string, unknown> {
  const body: Record<string, unknown> = { ...values };
  if (values.segment !== undefined) body.segment = values.segment.toUpperCase().replace('-', '_');
  if (values.creditLimit !== undefined) body.creditLimit = toDecimal({ amount: values.creditLimit, currency: 'XXX' }); // the ERP keeps the customer's currency
  return body;
}

const seg = encodeURIComponent;

export class ErpCustomerMaster {
  readonly http: HttpSystem;

  constructor(options: { baseUrl: string; apiKey: string; timeoutMs: number; breaker?: BreakerOptions }) {
    this.http = cloudErpHttp(options);
  }

  async getCustomer(customerId: string): Promise<ErpCustomerRecord> {
    return toErpCustomerRecord(await this.http.request({ operation: 'getCustomer', method: 'GET', url: `/api/v2/customers/${seg(customerId)}`, schema: CloudCustomer }));
  }

  /** One page of the change feed after `cursor` (none: from the start); `nextCursor` is the watermark to keep. */
  async listCustomerChanges(query: { cursor?: string; pageSize: number }): Promise<{ changes: ErpCustomerRecord[]; nextCursor?: string; hasMore: boolean }> {
    const page = await this.http.request({ operation: 'listCustomerChanges', method: 'GET', url: '/api/v2/customer-changes', params: { cursor: query.cursor, pageSize: query.pageSize }, schema: CloudCustomerChanges });
    // A feed handing back the cursor it was asked with while claiming more would loop for ever.
    if (query.cursor && page.hasMore && page.nextCursor === query.cursor) throw repeatedCursorError('erp', 'listCustomerChanges', query.cursor);
    return { changes: page.data.map(toErpCustomerRecord), nextCursor: page.nextCursor ?? undefined, hasMore: page.hasMore };
  }

  /** Changes the given fields if the customer is still at `expectedVersion`; a newer version is answered as stale, not thrown. */
  async updateCustomer(customerId: string, values: CustomerMasterValues, expectedVersion: number, idempotencyKey: string): Promise<ErpCustomerUpdateResult> {
    try {
      const saved = await this.http.request({
        operation: 'updateCustomer',
        method: 'PATCH',
        url: `/api/v2/customers/${seg(customerId)}`,
        headers: { 'if-match': `"${expectedVersion}"`, 'content-type': 'application/json' },
        data: toCloudUpdate(values),
        idempotencyKey,
        schema: CloudCustomer,
      });
      return { status: 'updated', record: toErpCustomerRecord(saved) };
    } catch (err) {
      if (isDownstreamError(err) && err.status === 412) return { status: 'stale' };
      throw err;
    }
  }

  shutdown(): void {
    this.http.shutdown();
  }
}

export function createErpCustomerMaster(config: Config): ErpCustomerMaster {
  return new ErpCustomerMaster({ baseUrl: config.erp.cloudUrl, apiKey: config.erp.cloudApiKey, timeoutMs: config.downstream.timeoutMs, breaker: breakerOptionsFromConfig(config.downstream) });
}

