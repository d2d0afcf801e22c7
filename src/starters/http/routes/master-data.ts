import { FactsUnavailableError } from '../../../services/case-errors';
import { MasterDataNotFoundError, PricesNotEffectiveDatedError, ReturnKeyConflictError, ReturnRefusedError, returnAuthorizationKey, type MasterDataService } from '../../../services/master-data';
import { operation, type Operation } from '../operations';
import { Problem } from '../problems';
import { z } from '../schemas/zod';
import { idempotencyKeyOf } from './starts';

const Sku = z.string().regex(/^[^,\s]{1,64}$/, 'a SKU without commas or spaces, at most 64 characters');
/** `skus=A,B,C`: one query parameter (External Services maps no repeated parameters), at most 50 SKUs, each once. */
const SkuList = z
  .string()
  .min(1)
  .max(50 * 65)
  .transform((text) => text.split(','))
  .pipe(z.array(Sku).min(1).max(50).refine((skus) => new Set(skus).size === skus.length, 'a SKU is listed twice'));

const CustomerParamsSchema = z.object({
  customerId: z
    .string()
    .regex(/^[^/\s]{1,64}$/, 'a customer id of at most 64 characters, without "/" or spaces')
    .openapi({ param: { name: 'customerId', in: 'path', description: 'The customer id (Account.Customer_Id__c)', example: 'CUST-10001' } }),
});

const AvailabilityQuerySchema = z.object({
  skus: SkuList.openapi({ param: { name: 'skus', in: 'query', description: 'Comma-separated SKUs (at most 50)', example: 'SKU-1001,SKU-1002' }, type: 'string' }),
  location: z
    .string()
    .regex(/^[^,\s]{1,64}$/)
    .optional()
    .openapi({ param: { name: 'location', in: 'query', description: 'One warehouse or store; every location when omitted', example: 'WH-EAST' } }),
});

const PricesQuerySchema = z.object({
  skus: SkuList.openapi({ param: { name: 'skus', in: 'query', description: 'Comma-separated SKUs (at most 50)', example: 'SKU-1001' }, type: 'string' }),
  at: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ param: { name: 'at', in: 'query', description: 'The moment the prices apply (RFC 3339); now when omitted. A later moment is priced from the ERP\'s effective-dated list prices and promotions; a past one answers 422 (the ERP keeps no superseded prices)', example: '2026-11-30T10:00:00Z' } }),
});

const CustomerAnswerSchema = z
  .object({
    customerId: z.string(),
    accountId: z.string(),
    contactId: z.string().optional(),
    name: z.string(),
    email: z.string().optional(),
    phone: z.string().optional(),
    segment: z.string().optional(),
    region: z.string().optional(),
    homeStoreId: z.string().optional(),
  })
  .openapi('CustomerProfile', { description: 'The customer as Salesforce knows them (Account and primary Contact)' });

const AvailabilityAnswerSchema = z
  .object({
    location: z.string().optional(),
    complete: z.boolean().openapi({ description: 'False when the ERP or Salesforce did not answer in time (see missing); such an answer is not cached' }),
    missing: z.array(z.object({ source: z.enum(['erp', 'salesforce']).openapi({ description: 'The system that did not answer (named source: system is an Apex word)' }), failureType: z.string(), message: z.string() }).openapi('AvailabilityMissingSystem')),
    rows: z.array(
      z
        .object({
          sku: z.string(),
          warehouseId: z.string(),
          onHand: z.number().int().optional(),
          reserved: z.number().int().optional(),
          available: z.number().int().optional().openapi({ description: 'The ERP\'s count (the system of record)' }),
          salesforceAvailable: z.number().optional().openapi({ description: 'What Salesforce shows (Product_Availability__c), updated from stock events' }),
          salesforceChangedAt: z.string().optional(),
        })
        .openapi('AvailabilityRow'),
    ),
    unknownSkus: z.array(z.string()).openapi({ description: 'SKUs neither system has a record of (at the location)' }),
  })
  .openapi('InventoryAvailability');

const PricesAnswerSchema = z
  .object({
    at: z.string().optional(),
    prices: z.array(z.object({ sku: z.string(), name: z.string().optional(), unitPriceAmount: z.number().int().openapi({ description: 'Minor units (cents)' }), currencyIsoCode: z.string(), returnable: z.boolean(), promotionId: z.string().optional().openapi({ description: 'The ERP promotion live at that moment (the lowest when several are)' }), promotionalPriceAmount: z.number().int().optional().openapi({ description: 'Its price, in minor units' }) }).openapi('ProductPriceEntry')),
    unknownSkus: z.array(z.string()),
  })
  .openapi('PriceList');

const ReturnAuthorizationBodySchema = z
  .strictObject({
    orderNumber: z.string().regex(/^[^/\s]{1,64}$/),
    caseNumber: z.string().regex(/^\d{1,30}$/).optional(),
    lines: z
      .array(z.strictObject({ sku: Sku, quantity: z.number().int().min(1).max(10_000), reason: z.string().min(1).max(255).optional() }).openapi('ReturnAuthorizationRequestLine'))
      .min(1)
      .max(200)
      .refine((lines) => new Set(lines.map((l) => l.sku)).size === lines.length, 'a SKU is listed twice'),
    idempotencyKey: z.string().min(1).max(255).optional().openapi({ description: 'As the Idempotency-Key header, for callers that cannot set headers; one of the two is required' }),
  })
  .openapi('ReturnAuthorizationRequest');

const ReturnAuthorizationAnswerSchema = z
  .object({
    returnAuthorizationId: z.string(),
    orderNumber: z.string(),
    caseNumber: z.string().optional(),
    status: z.string(),
    createdAt: z.string(),
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int(), reason: z.string().optional() }).openapi('ReturnAuthorizationLine')),
    refundWindowEndsAt: z.string(),
  })
  .openapi('ReturnAuthorization');

/** The services' refusals as problems: 404 for an unknown customer or order, 422 for a refused return, 503 for a system past its deadline. */
async function answer<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof MasterDataNotFoundError) throw new Problem(404, err.slug, { 'customer-not-found': 'Customer not found', 'order-not-found': 'Order not found', 'location-not-found': 'Location not found' }[err.slug], err.message);
    if (err instanceof PricesNotEffectiveDatedError) throw new Problem(422, 'prices-not-effective-dated', 'Prices at that moment are not available', err.message, { errors: [{ path: 'query.at', code: 'refused', message: err.message }] });
    if (err instanceof ReturnRefusedError) throw new Problem(422, err.slug, err.slug === 'return-not-eligible' ? 'Order not eligible for return' : 'Lines refused', err.message, { ...err.details });
    if (err instanceof ReturnKeyConflictError) throw new Problem(409, 'idempotency-conflict', 'Idempotency key reused', err.message);
    if (err instanceof FactsUnavailableError) throw new Problem(503, 'system-unavailable', 'System unavailable', `${err.message}; retry later`, { system: err.system });
    throw err;
  }
}

/** Customer lookup, inventory availability, prices and return authorization: managed capabilities for Salesforce and other channels. */
export function masterDataOperations(service: MasterDataService): Operation[] {
  return [
    operation({
      operationId: 'getCustomer',
      method: 'get',
      path: '/v1/customers/{customerId}',
      tag: 'master-data',
      summary: 'The customer profile (Salesforce Account and primary Contact)',
      description: 'Asked of Salesforce within MASTER_DATA_TIMEOUT_MS_SALESFORCE (503 after it). Cacheable for 60 s; send If-None-Match to revalidate.',
      scope: 'read',
      params: CustomerParamsSchema,
      cacheControl: 'private, max-age=60',
      problems: [404],
      success: { status: 200, description: 'The customer', schema: CustomerAnswerSchema },
      handle: async ({ params }) => (await answer(() => service.customer(params.customerId))).customer,
    }),
    operation({
      operationId: 'getInventoryAvailability',
      method: 'get',
      path: '/v1/inventory/availability',
      tag: 'master-data',
      summary: 'Stock on hand, reserved and available per SKU and location (the ERP)',
      description:
        'The ERP (within MASTER_DATA_TIMEOUT_MS_ERP) and Salesforce\'s Product_Availability__c (within MASTER_DATA_TIMEOUT_MS_SALESFORCE) in parallel; a system past its deadline is listed in missing and the answer still comes (503 when neither answers). ' +
        'Stock moves: a complete answer is cacheable for 10 s, a partial one not at all.',
      scope: 'read',
      query: AvailabilityQuerySchema,
      cacheControl: (answer: { complete: boolean }) => (answer.complete ? 'private, max-age=10' : undefined),
      success: { status: 200, description: 'The stock of each SKU found', schema: AvailabilityAnswerSchema },
      problems: [404],
      handle: async ({ query }) => {
        return answer(() => service.availability(query.skus, query.location));
      },
    }),
    operation({
      operationId: 'getPrices',
      method: 'get',
      path: '/v1/prices',
      tag: 'master-data',
      summary: 'List prices, promotions and returnability per SKU, now or at a later moment (the ERP)',
      description: 'Asked of the ERP within MASTER_DATA_TIMEOUT_MS_ERP (503 after it). Cacheable for 5 minutes.',
      scope: 'read',
      query: PricesQuerySchema,
      cacheControl: 'private, max-age=300',
      problems: [422],
      success: { status: 200, description: 'The price of each SKU found', schema: PricesAnswerSchema },
      handle: async ({ query }) => {
        const view = await answer(() => service.prices(query.skus, query.at));
        return {
          at: query.at ? view.at : undefined,
          prices: view.prices.map((p) => ({ sku: p.sku, name: p.name, unitPriceAmount: p.unitPrice.amount, currencyIsoCode: p.unitPrice.currency, returnable: p.returnable, promotionId: p.promotion?.promotionId, promotionalPriceAmount: p.promotion?.unitPrice.amount })),
          unknownSkus: view.unknownSkus,
        };
      },
    }),
    operation({
      operationId: 'createReturnAuthorization',
      method: 'post',
      path: '/v1/return-authorizations',
      tag: 'master-data',
      summary: 'Authorize items of an order to come back (an RMA in the ERP)',
      description:
        'Requires an Idempotency-Key (header or body): the same key and request answer the same authorization; another request under the key is a 409. ' +
        'The order must be eligible (not cancelled, inside the refund window, returnable SKUs), each line on the order, returnable and within what is left to return (422 otherwise).',
      scope: 'start',
      body: ReturnAuthorizationBodySchema,
      idempotencyHeader: true,
      problems: [404, 409, 422],
      success: { status: 201, description: 'The return authorization', schema: ReturnAuthorizationAnswerSchema },
      handle: async ({ body, request }) => {
        const key = idempotencyKeyOf(request, body.idempotencyKey);
        if (!key) throw new Problem(400, 'validation', 'Invalid request', 'an Idempotency-Key (header or body idempotencyKey) is required', { errors: [{ path: 'header.Idempotency-Key', code: 'required', message: 'required' }] });
        const { idempotencyKey: _key, ...request_ } = body;
        const view = await answer(() => service.authorizeReturn(request_, returnAuthorizationKey(String(request.principal?.name), key)));
        const ra = view.returnAuthorization;
        return { ...ra, refundWindowEndsAt: view.eligibility.refundWindowEndsAt };
      },
    }),
  ];
}
