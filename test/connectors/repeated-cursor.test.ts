import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import type { Sandbox } from '../../sandbox';
import { createPaymentsActivities } from '../../src/activities/payments';
import { createErpConnector, type ErpConnector } from '../../src/connectors/erp';
import { createPaymentsConnector, type PaymentsConnector } from '../../src/connectors/payments';
import { createSalesforceConnector, type SalesforceConnector } from '../../src/connectors/salesforce';
import { money } from '../../src/domain/money';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';
import { failure } from '../helpers/failures';

/** A downstream that hands back a cursor it already gave (the sandbox's repeat-cursor fault) stops the listing, classified, instead of looping. */
describe('connectors: a repeated paging cursor', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;
  let sf: SalesforceConnector;
  let legacyErp: ErpConnector;
  let cloudErp: ErpConnector;
  let payments: PaymentsConnector;

  /** Runs a listing under the fault and returns its error and how many list requests reached the system. */
  const underFault = async (url: string, rule: { method: string; path: string }, listing: () => Promise<unknown>, counts: (path: string) => boolean) => {
    const ops = admin(url);
    await ops.fault({ kind: 'repeat-cursor', ...rule });
    const since = await ops.mark();
    try {
      const err = await failure(listing);
      const requests = (await ops.requests(since)).requests.filter((r) => counts(r.path)).length;
      return { err, requests };
    } finally {
      await ops.clearFaults();
    }
  };
  const assertStopped = (err: { type: string; retryable: boolean; code?: string }) => {
    assert.deepEqual([err.type, err.retryable, err.code], ['RepeatedCursorError', false, 'REPEATED_CURSOR']);
  };

  before(async () => {
    sandbox = await startTestSandbox(['salesforce', 'erpCloud', 'erpLegacy', 'payments']);
    sf = createSalesforceConnector(configFor(sandbox));
    legacyErp = createErpConnector(configFor(sandbox), { pageSize: 2 });
    cloudErp = createErpConnector(configFor(sandbox, { ERP_ROUTING: 'creditMemos=cloud,ledger=cloud' }), { pageSize: 2 });
    payments = createPaymentsConnector(configFor(sandbox));
  });
  after(async () => {
    sf?.shutdown();
    legacyErp?.shutdown();
    cloudErp?.shutdown();
    payments?.shutdown();
    await sandbox?.close();
  });

  it('Salesforce: a query locator answered with itself', async () => {
    const businessDate = '2025-07-31';
    const seeded = await fetch(`${sandbox.urls.salesforce!}/__sandbox/salesforce/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ object: 'Customer_Adjustment__c', count: 2_100, fields: { Business_Date__c: businessDate, Amount__c: 1, CurrencyIsoCode: 'EUR' } }),
    });
    assert.equal(seeded.status, 201);
    const { err, requests } = await underFault(sandbox.urls.salesforce!, { method: 'GET', path: '/services/data/*/query/' }, () => sf.listAdjustments(businessDate), (p) => /\/query(\/|$)/.test(p));
    assertStopped(err);
    assert.equal(err.system, 'salesforce');
    assert.equal(requests, 2, 'the query, one locator, and no more');
    assert.equal((await sf.listAdjustments(businessDate)).length, 2_100, 'without the fault every page is read');
  });

  it('ERP (cloud): credit memo paging and changed-order paging', async () => {
    for (let i = 1; i <= 5; i++) await cloudErp.draftCreditMemo({ customerId: 'C-000030', orderNumber: 'SO-100030', amount: money(i * 100, 'GBP'), reason: 'goodwill', businessDate: '2031-08-01' }, `cursor-cloud-${i}`);
    const memos = await underFault(sandbox.urls.erpCloud!, { method: 'GET', path: '/api/v2/credit-memos' }, () => cloudErp.listCreditMemos('2031-08-01'), (p) => p === '/api/v2/credit-memos');
    assertStopped(memos.err);
    assert.equal(memos.requests, 2);

    const since = new Date(Date.parse(sandbox.world().baseDate) - 3 * 86_400_000).toISOString();
    const first = await cloudErp.listChangedOrders({ changedSince: since, pageSize: 5 });
    assert.ok(first.nextCursor, 'more than one page of changed orders');
    const orders = await underFault(sandbox.urls.erpCloud!, { method: 'GET', path: '/api/v2/orders' }, () => cloudErp.listChangedOrders({ changedSince: since, pageSize: 5, cursor: first.nextCursor }), (p) => p === '/api/v2/orders');
    assertStopped(orders.err);
    assert.equal(orders.requests, 1);
  });

  it('ERP (legacy): a NextPageToken answered with itself', async () => {
    for (let i = 1; i <= 5; i++) await legacyErp.draftCreditMemo({ customerId: 'C-000030', orderNumber: 'SO-100030', amount: money(i * 100, 'GBP'), reason: 'goodwill', businessDate: '2031-08-02' }, `cursor-legacy-${i}`);
    const path = '/legacy/finance/CreditMemoService';
    const { err, requests } = await underFault(sandbox.urls.erpLegacy!, { method: 'POST', path }, () => legacyErp.listCreditMemos('2031-08-02'), (p) => p === path);
    assertStopped(err);
    assert.equal(err.system, 'erp-legacy');
    assert.equal(requests, 2);
  });

  it('payments: starting_after ignored, the first page again; the activity fails non-retryable', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const pay = sandbox.world().payments.filter((p) => p.method === 'card')[5];
    for (let i = 0; i < 101; i++) await payments.createRefund(pay.paymentId, money(1, pay.currency), 'requested_by_customer', `cursor-refund-${i}`);
    const window = { from, to: new Date(Date.now() + 1000).toISOString() };
    const { err, requests } = await underFault(sandbox.urls.payments!, { method: 'GET', path: '/v1/refunds' }, () => payments.listRefunds(window), (p) => p === '/v1/refunds');
    assertStopped(err);
    assert.equal(requests, 2);

    const ops = admin(sandbox.urls.payments!);
    await ops.fault({ kind: 'repeat-cursor', method: 'GET', path: '/v1/refunds' });
    try {
      await assert.rejects(createPaymentsActivities(payments).listPaymentRefunds(window), (e: unknown) => e instanceof ApplicationFailure && e.type === 'RepeatedCursorError' && e.nonRetryable);
    } finally {
      await ops.clearFaults();
    }
    assert.equal((await payments.listRefunds(window)).length, 101);
  });
});
