import assert from 'node:assert/strict';
import type { Sandbox } from '../../sandbox';
import { salesforceSession, startTestSandbox } from '../helpers/sandbox';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The sandbox's pricing surfaces: the cloud ERP's effective-dated price lists, promotions and change
 * feed, and Salesforce's price books with the rules a real org enforces on PricebookEntry.
 */
describe('sandbox: prices and promotions', function () {
  this.timeout(20_000);
  let sandbox: Sandbox;
  let erp: string;
  let sf: string;
  let token: string;

  const erpCall = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${erp}${path}`, { method, headers: { 'x-api-key': 'erp-sandbox-key', ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const sfCall = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sf}/services/data/v62.0${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Json };
  };
  const soql = async (q: string) => (await sfCall('GET', `/query?q=${encodeURIComponent(q)}`)).body.records as Json[];

  before(async () => {
    sandbox = await startTestSandbox(['erpCloud', 'salesforce']);
    erp = sandbox.urls.erpCloud!;
    sf = sandbox.urls.salesforce!;
    token = (await salesforceSession(sf)).access_token;
  });
  after(async () => {
    await sandbox?.close();
  });

  describe('cloud ERP', () => {
    it('answers the price effective at a moment, and refuses a bad moment or an unknown list', async () => {
      const now = await erpCall('GET', '/api/v2/price-lists/LIST-STD-USD/prices?skus=SKU-00001,NOPE');
      assert.equal(now.status, 200);
      assert.equal(now.body.data.length, 1);
      assert.deepEqual(now.body.unknownSkus, ['NOPE']);
      const from = new Date(Date.now() + 3_600_000).toISOString();
      const changed = await erpCall('PUT', '/__sandbox/erp/price-lists/LIST-STD-USD/prices/SKU-00002', { unitPrice: '19.99', effectiveFrom: from });
      assert.equal(changed.status, 200);
      assert.equal(changed.body.version, 2);
      assert.equal((await erpCall('GET', '/api/v2/price-lists/LIST-STD-USD/prices?skus=SKU-00002')).body.data.length, 0, 'not effective yet');
      const later = await erpCall('GET', `/api/v2/price-lists/LIST-STD-USD/prices?skus=SKU-00002&at=${encodeURIComponent(new Date(Date.now() + 7_200_000).toISOString())}`);
      assert.equal(later.body.data[0].unitPrice, '19.99');
      assert.equal((await erpCall('GET', '/api/v2/price-lists/LIST-STD-USD/prices?skus=SKU-00002&at=yesterday')).body.error.code, 'VALIDATION_ERROR');
      assert.equal((await erpCall('GET', '/api/v2/price-lists/NOPE/prices?skus=SKU-00002')).status, 404);
      assert.equal((await erpCall('PUT', '/__sandbox/erp/price-lists/LIST-STD-USD/prices/SKU-00002', { unitPrice: '-1' })).status, 400);
    });

    it('keeps promotions with their versions, withdraws once, and lists changes after a watermark in pages', async () => {
      const start = (await erpCall('GET', '/api/v2/pricing/changes?since=0&pageSize=1')).body;
      const watermark = start.watermark as number;
      assert.ok(watermark > 0);
      assert.equal(start.data.length, 1);
      assert.ok(start.nextCursor);
      const startAt = new Date(Date.now() + 60_000).toISOString();
      const endAt = new Date(Date.now() + 120_000).toISOString();
      assert.equal((await erpCall('POST', '/__sandbox/erp/promotions', { promotionId: 'PROMO-T1', name: 'Both', skus: ['SKU-00001'], promotionalPrice: '1.00', percentOff: 10, startAt, endAt })).status, 400);
      assert.equal((await erpCall('POST', '/__sandbox/erp/promotions', { promotionId: 'PROMO-T1', name: 'Backwards', skus: ['SKU-00001'], percentOff: 10, startAt: endAt, endAt: startAt })).status, 400);
      const created = await erpCall('POST', '/__sandbox/erp/promotions', { promotionId: 'PROMO-T1', name: 'Ten off', skus: ['SKU-00001', 'SKU-00003'], percentOff: 10, startAt, endAt });
      assert.equal(created.status, 201);
      assert.equal((await erpCall('PATCH', '/__sandbox/erp/promotions/PROMO-T1', { endAt: new Date(Date.now() + 180_000).toISOString() })).body.version, 2);
      const withdrawn = await erpCall('POST', '/__sandbox/erp/promotions/PROMO-T1/withdraw');
      assert.equal(withdrawn.body.status, 'WITHDRAWN');
      assert.equal((await erpCall('POST', '/__sandbox/erp/promotions/PROMO-T1/withdraw')).body.version, 3, 'a second withdrawal changes nothing');
      assert.equal((await erpCall('PATCH', '/__sandbox/erp/promotions/PROMO-T1', { name: 'again' })).status, 409);
      const changes = (await erpCall('GET', `/api/v2/pricing/changes?since=${watermark}`)).body;
      assert.deepEqual(changes.data.map((c: Json) => [c.kind, c.promotion?.version]), [['promotion', 3]], 'one entry per record, at its latest change');
      assert.equal((await erpCall('GET', '/api/v2/pricing/changes')).status, 400, 'since is required');
      assert.equal((await erpCall('GET', '/api/v2/pricing/changes?since=0&cursor=garbage')).body.error.code, 'INVALID_CURSOR');
      assert.equal((await erpCall('GET', `/api/v2/promotions?skus=SKU-00001&at=${encodeURIComponent(new Date(Date.now() + 90_000).toISOString())}`)).body.data.length, 0, 'withdrawn is never live');
    });
  });

  describe('Salesforce price books', () => {
    let standardId: string;
    let productId: string;
    before(async () => {
      const books = await soql('SELECT Id, IsStandard, IsActive FROM Pricebook2 WHERE IsStandard = true');
      assert.equal(books.length, 1);
      standardId = books[0].Id;
      productId = (await soql("SELECT Id FROM Product2 WHERE StockKeepingUnit = 'SKU-00004'"))[0].Id;
    });

    it('refuses a custom price before the standard price, then accepts it; one price per product, book and currency', async () => {
      const custom = await sfCall('PATCH', '/sobjects/Pricebook2/ERP_Price_List_Id__c/LIST-OUTLET', { Name: 'Outlet', IsActive: true });
      assert.equal(custom.status, 201);
      const entry = { Pricebook2Id: custom.body.id, Product2: { StockKeepingUnit: 'SKU-00004' }, UnitPrice: 8, IsActive: true };
      const early = await sfCall('PATCH', '/sobjects/PricebookEntry/ERP_Price_Key__c/LIST-OUTLET:SKU-00004', entry);
      assert.equal(early.status, 400);
      assert.equal(early.body[0].errorCode, 'STANDARD_PRICE_NOT_DEFINED');
      assert.equal((await sfCall('POST', '/sobjects/PricebookEntry', { Pricebook2Id: standardId, Product2Id: productId, IsActive: true })).body[0].errorCode, 'REQUIRED_FIELD_MISSING');
      assert.equal((await sfCall('PATCH', '/sobjects/PricebookEntry/ERP_Price_Key__c/LIST-STD-USD:SKU-00004', { Pricebook2Id: standardId, Product2Id: productId, UnitPrice: 10, IsActive: true })).status, 201);
      const dup = await sfCall('POST', '/sobjects/PricebookEntry', { Pricebook2Id: standardId, Product2Id: productId, UnitPrice: 11, IsActive: true });
      assert.equal(dup.body[0].errorCode, 'DUPLICATE_VALUE');
      assert.equal((await sfCall('PATCH', '/sobjects/PricebookEntry/ERP_Price_Key__c/LIST-OUTLET:SKU-00004', entry)).status, 201);
      // Book and product are fixed once the entry exists: an upsert that names them again is refused.
      const moved = await sfCall('PATCH', '/sobjects/PricebookEntry/ERP_Price_Key__c/LIST-OUTLET:SKU-00004', entry);
      assert.equal(moved.body[0].errorCode, 'INVALID_FIELD_FOR_INSERT_UPDATE');
      assert.equal((await sfCall('PATCH', '/sobjects/PricebookEntry/ERP_Price_Key__c/LIST-OUTLET:SKU-00004', { UnitPrice: 7.5 })).status, 200);
      const rows = await soql("SELECT Name, UnitPrice, IsActive FROM PricebookEntry WHERE ERP_Price_Key__c = 'LIST-OUTLET:SKU-00004'");
      assert.equal(rows[0].UnitPrice, 7.5);
      assert.ok(rows[0].Name, 'the entry is named after its product');
    });

    it('does not let a client create a standard price book', async () => {
      const res = await sfCall('POST', '/sobjects/Pricebook2', { Name: 'Another standard', IsStandard: true });
      assert.equal(res.body[0].errorCode, 'INVALID_FIELD_FOR_INSERT_UPDATE');
    });
  });
});
