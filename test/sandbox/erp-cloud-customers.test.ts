import assert from 'node:assert/strict';
import type { Sandbox } from '../../sandbox';
import { createSalesforceConnector } from '../../src/connectors/salesforce';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';

const KEY = 'erp-sandbox-key';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('sandbox: the cloud ERP customer master', () => {
  let sandbox: Sandbox;
  let base: string;

  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, { method, headers: { 'x-api-key': KEY, ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, etag: res.headers.get('etag'), body: (await res.json()) as Json };
  };

  before(async () => {
    sandbox = await startTestSandbox(['erpCloud', 'salesforce']);
    base = sandbox.urls.erpCloud!;
  });
  after(async () => sandbox.close());

  it('seeds every world customer in the ERP and links its Salesforce Account by ERP_Customer_Id__c, with the same master data', async () => {
    const world = sandbox.world();
    const sf = createSalesforceConnector(configFor(sandbox));
    try {
      for (const c of world.customers.slice(0, 3)) {
        const erp = await api('GET', `/api/v2/customers/${c.customerId}`);
        assert.equal(erp.status, 200);
        assert.equal(erp.etag, `"${erp.body.version}"`);
        assert.equal(erp.body.email, c.email);
        const account = await sf.getCustomerMaster({ customerId: c.customerId });
        assert.equal(account.customerId, c.customerId);
        assert.equal(account.values.email, erp.body.email);
        assert.equal(account.values.creditLimit, Math.round(Number(erp.body.creditLimit) * 100));
        assert.equal(account.values.paymentTerms, erp.body.paymentTerms);
        assert.deepEqual(account.values.billingAddress, erp.body.billingAddress);
        assert.equal(account.values.marketingConsent, erp.body.marketingConsent);
      }
    } finally {
      sf.shutdown();
    }
    assert.equal((await api('GET', '/api/v2/customers/C-999999')).body.error.code, 'CUSTOMER_NOT_FOUND');
  });

  it('updates only under the current version (428 without If-Match, 412 when stale) and replays a repeated Idempotency-Key', async () => {
    const id = sandbox.world().customers[4].customerId;
    const before = await api('GET', `/api/v2/customers/${id}`);
    assert.equal((await api('PATCH', `/api/v2/customers/${id}`, { phone: '+1-555-000-0001' })).status, 428);
    const stale = await api('PATCH', `/api/v2/customers/${id}`, { phone: '+1-555-000-0001' }, { 'if-match': `"${before.body.version + 5}"` });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.error.code, 'VERSION_MISMATCH');
    assert.equal(stale.body.error.details.currentVersion, before.body.version);
    assert.equal((await api('PATCH', `/api/v2/customers/${id}`, { creditLimit: 'lots' }, { 'if-match': `"${before.body.version}"` })).status, 400);
    assert.equal((await api('PATCH', `/api/v2/customers/${id}`, { unknownField: 1 }, { 'if-match': `"${before.body.version}"` })).status, 400);

    const headers = { 'if-match': `"${before.body.version}"`, 'idempotency-key': `cust-${id}-1` };
    const first = await api('PATCH', `/api/v2/customers/${id}`, { phone: '+1-555-000-0001' }, headers);
    assert.equal(first.status, 200);
    assert.equal(first.body.version, before.body.version + 1);
    assert.ok(first.body.lastModified > before.body.lastModified);
    const again = await api('PATCH', `/api/v2/customers/${id}`, { phone: '+1-555-000-0001' }, headers);
    assert.deepEqual(again.body, first.body, 'the same key answers the first response');
    assert.equal((await api('PATCH', `/api/v2/customers/${id}`, { phone: '+1-555-000-0002' }, headers)).status, 409);
    // A write that changes nothing makes no new version (nothing for a poller to see).
    const same = await api('PATCH', `/api/v2/customers/${id}`, { phone: '+1-555-000-0001' }, { 'if-match': `"${first.body.version}"` });
    assert.equal(same.body.version, first.body.version);
    const ledger = await admin(base).ledger({ kind: 'customer.updated', ref: id });
    assert.equal(ledger.count, 1);
  });

  it('lists changes in (lastModified, customer number) order, paged by a cursor that never skips an equal stamp, and refuses a foreign cursor', async () => {
    const all: Json[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = await api('GET', `/api/v2/customer-changes?pageSize=7${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      all.push(...page.body.data);
      cursor = page.body.nextCursor;
      if (!page.body.hasMore) break;
    }
    assert.equal(all.length, sandbox.world().customers.length);
    const keys = all.map((c) => `${c.lastModified}|${c.customerNumber}`);
    assert.deepEqual(keys, [...keys].sort());
    // Caught up: the same watermark answers nothing new, then exactly the next change.
    const idle = await api('GET', `/api/v2/customer-changes?cursor=${cursor}`);
    assert.deepEqual(idle.body.data, []);
    assert.equal(idle.body.nextCursor, cursor);
    const id = sandbox.world().customers[9].customerId;
    const current = await api('GET', `/api/v2/customers/${id}`);
    await api('PATCH', `/api/v2/customers/${id}`, { paymentTerms: 'NET15' }, { 'if-match': `"${current.body.version}"` });
    const next = await api('GET', `/api/v2/customer-changes?cursor=${cursor}`);
    assert.deepEqual(next.body.data.map((c: Json) => c.customerNumber), [id]);

    assert.equal((await api('GET', '/api/v2/customer-changes?cursor=not-a-cursor')).body.error.code, 'INVALID_CURSOR');
    assert.equal((await api('GET', '/api/v2/customer-changes?pageSize=0')).status, 400);
    assert.equal((await api('GET', `/api/v2/customer-changes?cursor=${cursor}&since=2026-01-01T00:00:00Z`)).status, 400);
  });

  it('publishes Account and Contact changes as change events with the changed fields and increasing commit numbers', async () => {
    const sf = createSalesforceConnector(configFor(sandbox));
    try {
      const c = sandbox.world().customers[12];
      const master = await sf.getCustomerMaster({ customerId: c.customerId });
      await sf.updateCustomerMaster({ accountId: master.accountId, contactId: master.contactId }, { email: 'new.address@example.com', creditLimit: 123_400 });
      const read = async (topic: string) => ((await (await fetch(`${sandbox.urls.salesforce}/__sandbox/pubsub/events?topic=${topic}`)).json()) as { events: { payload: Json }[] }).events;
      const [account] = (await read('/data/AccountChangeEvent')).filter((e) => e.payload.ChangeEventHeader.recordIds.includes(master.accountId));
      const [contact] = (await read('/data/ContactChangeEvent')).filter((e) => e.payload.ChangeEventHeader.recordIds.includes(master.contactId));
      assert.equal(account.payload.Credit_Limit__c, 1234);
      assert.equal(account.payload.ChangeEventHeader.changeType, 'UPDATE');
      assert.equal(contact.payload.Email, 'new.address@example.com');
      assert.ok(contact.payload.ChangeEventHeader.commitNumber > account.payload.ChangeEventHeader.commitNumber, 'the later commit has the higher number');
    } finally {
      sf.shutdown();
    }
  });
});
