import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { Connection } from 'jsforce';
import type { Sandbox } from '../../sandbox';
import { JWT_BEARER_GRANT, jwtAssertion } from '../../src/connectors/salesforce/jwt';
import { admin, startTestSandbox } from '../helpers/sandbox';

type Json = Record<string, unknown>;
interface SfResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

describe('sandbox: Salesforce REST surface', function () {
  this.timeout(20_000);
  let sandbox: Sandbox;
  let url: string;
  let token: string;
  let sfAdmin: ReturnType<typeof admin>;
  const data = () => `${url}/services/data/v62.0`;

  const grant = (form: Record<string, string>) =>
    fetch(`${url}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });

  async function call<T = Json>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<SfResponse<T>> {
    const res = await fetch(path.startsWith('http') ? path : `${data()}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': typeof body === 'string' ? 'text/csv' : 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, headers: res.headers, body: (type.startsWith('application/json') && text ? JSON.parse(text) : text) as T };
  }
  const query = (soql: string, headers: Record<string, string> = {}) => call<{ totalSize: number; done: boolean; nextRecordsUrl?: string; records: Json[] }>('GET', `/query?q=${encodeURIComponent(soql)}`, undefined, headers);
  const errorCode = (res: SfResponse) => (res.body as { errorCode: string }[])[0]?.errorCode;

  before(async () => {
    sandbox = await startTestSandbox(['salesforce']);
    url = sandbox.urls.salesforce!;
    sfAdmin = admin(url);
    const res = await grant({ grant_type: 'client_credentials', client_id: 'retail-orchestrator', client_secret: 'sandbox-client-secret' });
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  afterEach(async () => {
    await sfAdmin.clearFaults();
  });
  after(async () => {
    await sandbox?.close();
  });

  describe('OAuth and sessions', () => {
    it('issues tokens for the client credentials and password grants, in the shape jsforce needs', async () => {
      const cc = await grant({ grant_type: 'client_credentials', client_id: 'retail-orchestrator', client_secret: 'sandbox-client-secret' });
      assert.equal(cc.status, 200);
      assert.equal(cc.headers.get('content-type'), 'application/json;charset=UTF-8');
      const body = (await cc.json()) as Record<string, string>;
      assert.equal(body.instance_url, url);
      assert.equal(body.token_type, 'Bearer');
      assert.match(body.id, new RegExp(`^${url}/id/00D[a-zA-Z0-9]{15}/005[a-zA-Z0-9]{15}$`));
      assert.ok(body.access_token && body.signature && /^\d+$/.test(body.issued_at));
      const pw = await grant({ grant_type: 'password', client_id: 'retail-orchestrator', client_secret: 'sandbox-client-secret', username: 'integration@retail.example', password: 'sandbox-password' });
      assert.equal(pw.status, 200);
    });

    it('refuses wrong client credentials (invalid_client) and wrong user passwords (invalid_grant) with 400', async () => {
      const unknownClient = await grant({ grant_type: 'client_credentials', client_id: 'someone-else', client_secret: 'sandbox-client-secret' });
      assert.equal(unknownClient.status, 400);
      assert.deepEqual(await unknownClient.json(), { error: 'invalid_client_id', error_description: 'client identifier invalid' });
      const badClient = await grant({ grant_type: 'client_credentials', client_id: 'retail-orchestrator', client_secret: 'nope' });
      assert.equal(badClient.status, 400);
      assert.equal(((await badClient.json()) as Json).error, 'invalid_client');
      const badUser = await grant({ grant_type: 'password', client_id: 'retail-orchestrator', client_secret: 'sandbox-client-secret', username: 'integration@retail.example', password: 'wrong' });
      assert.equal(badUser.status, 400);
      assert.equal(((await badUser.json()) as Json).error, 'invalid_grant');
    });

    it('answers 401 INVALID_SESSION_ID without a token, with an unknown one, and after the admin expires all tokens', async () => {
      const none = await fetch(`${data()}/sobjects`);
      assert.equal(none.status, 401);
      assert.deepEqual(await none.json(), [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
      const saved = token;
      token = 'bogus';
      assert.equal((await call('GET', '/sobjects')).status, 401);
      token = saved;
      assert.equal((await call('GET', '/sobjects')).status, 200);
      const fresh = (await (await grant({ grant_type: 'client_credentials', client_id: 'retail-orchestrator', client_secret: 'sandbox-client-secret' })).json()) as { access_token: string };
      await fetch(`${url}/__sandbox/salesforce/expire-tokens`, { method: 'POST' });
      assert.equal(errorCode(await call('GET', '/sobjects')), 'INVALID_SESSION_ID');
      token = fresh.access_token;
      assert.equal((await call('GET', '/sobjects')).status, 401, 'tokens issued before the expiry are all gone');
      token = ((await (await grant({ grant_type: 'client_credentials', client_id: 'retail-orchestrator', client_secret: 'sandbox-client-secret' })).json()) as { access_token: string }).access_token;
    });

    it('counts API usage in Sforce-Limit-Info', async () => {
      const a = await call('GET', '/limits');
      const b = await call('GET', '/limits');
      const used = (h: Headers) => Number(/api-usage=(\d+)\/100000/.exec(h.get('sforce-limit-info') ?? '')?.[1]);
      assert.equal(used(b.headers), used(a.headers) + 1);
    });
  });

  describe('sObject rows', () => {
    it('creates (201), retrieves with fields=, updates (204) and deletes records, each in the ledger', async () => {
      const caseId = (await query("SELECT Id FROM Case WHERE CaseNumber = '00010001'")).body.records[0].Id as string;
      const created = await call<{ id: string; success: boolean; errors: unknown[] }>('POST', '/sobjects/Task', { Subject: 'Call the customer', WhatId: caseId });
      assert.equal(created.status, 201);
      assert.match(created.body.id, /^00T[a-zA-Z0-9]{15}$/);
      assert.deepEqual({ success: created.body.success, errors: created.body.errors }, { success: true, errors: [] });
      const got = await call<Json>('GET', `/sobjects/Task/${created.body.id}?fields=Subject,Status,Priority`);
      assert.deepEqual({ Subject: got.body.Subject, Status: got.body.Status, Priority: got.body.Priority }, { Subject: 'Call the customer', Status: 'Not Started', Priority: 'Normal' });
      assert.equal(got.body.WhatId, undefined, 'only the requested fields');
      assert.equal((await call('PATCH', `/sobjects/Task/${created.body.id}`, { Status: 'Completed' })).status, 204);
      assert.equal((await call('DELETE', `/sobjects/Task/${created.body.id}`)).status, 204);
      // A deleted record is in the recycle bin: 404 ENTITY_IS_DELETED, not NOT_FOUND.
      const gone = await call('GET', `/sobjects/Task/${created.body.id}`);
      assert.deepEqual([gone.status, errorCode(gone)], [404, 'ENTITY_IS_DELETED']);
      const kinds = (await sfAdmin.ledger({ ref: created.body.id })).entries.map((e) => e.kind);
      assert.deepEqual(kinds, ['Task.created', 'Task.updated', 'Task.deleted']);
    });

    it('upserts by external id: 201 created, then 200 updated, and reads by external id', async () => {
      const record = { Amount__c: 19.99, CurrencyIsoCode: 'GBP', Type__c: 'Refund', Business_Date__c: '2026-02-01' };
      const first = await call<Json>('PATCH', '/sobjects/Customer_Adjustment__c/External_Id__c/refund:case-9:adjustment', record);
      assert.equal(first.status, 201);
      assert.equal(first.body.created, true);
      const second = await call<Json>('PATCH', '/sobjects/Customer_Adjustment__c/External_Id__c/refund:case-9:adjustment', { ...record, Status__c: 'Posted' });
      assert.equal(second.status, 200);
      assert.deepEqual(second.body, { id: first.body.id, success: true, errors: [], created: false });
      const byExt = await call<Json>('GET', '/sobjects/Customer_Adjustment__c/External_Id__c/refund:case-9:adjustment');
      assert.equal(byExt.body.Id, first.body.id);
      assert.equal(byExt.body.Status__c, 'Posted');
      assert.match(String(byExt.body.Name), /^ADJ-\d{6}$/);
      assert.equal((await sfAdmin.ledger({ key: 'refund:case-9:adjustment', kind: 'Customer_Adjustment__c.created' })).count, 1);
    });

    it('answers Salesforce error codes: REQUIRED_FIELD_MISSING, INVALID_FIELD, DUPLICATE_VALUE, MALFORMED_ID, validation rules', async () => {
      const missing = await call<{ errorCode: string; fields: string[] }[]>('POST', '/sobjects/Customer_Adjustment__c', { External_Id__c: 'x:1' });
      assert.equal(missing.status, 400);
      assert.equal(missing.headers.get('content-type'), 'application/json;charset=UTF-8');
      assert.equal(missing.body[0].errorCode, 'REQUIRED_FIELD_MISSING');
      assert.deepEqual(missing.body[0].fields.sort(), ['Amount__c', 'Business_Date__c', 'Type__c']);
      assert.equal(errorCode(await call('POST', '/sobjects/Task', { Subject: 'x', Colour__c: 'red' })), 'INVALID_FIELD');
      const adj = { External_Id__c: 'dup:1', Amount__c: 1, Type__c: 'Refund', Business_Date__c: '2026-02-01' };
      assert.equal((await call('POST', '/sobjects/Customer_Adjustment__c', adj)).status, 201);
      assert.equal(errorCode(await call('POST', '/sobjects/Customer_Adjustment__c', adj)), 'DUPLICATE_VALUE');
      assert.equal(errorCode(await call('GET', '/sobjects/Case/not-an-id')), 'MALFORMED_ID');
      assert.equal(errorCode(await call('POST', '/sobjects/Customer_Adjustment__c', { ...adj, External_Id__c: 'neg:1', Amount__c: -5 })), 'FIELD_CUSTOM_VALIDATION_EXCEPTION');
      assert.equal(errorCode(await call('POST', '/sobjects/Case', { Subject: 'x', CaseNumber: '1' })), 'INVALID_FIELD_FOR_INSERT_UPDATE');
      assert.equal((await call('GET', '/sobjects/Nope/001000000000000AAA')).status, 404);
    });

    it('ignores Idempotency-Key as Salesforce does: the same create sent twice makes two records', async () => {
      const headers = { 'idempotency-key': 'escalate:case-1:task' };
      const a = await call<Json>('POST', '/sobjects/Task', { Subject: 'Escalate twice' }, headers);
      const b = await call<Json>('POST', '/sobjects/Task', { Subject: 'Escalate twice' }, headers);
      assert.equal(a.status, 201);
      assert.equal(b.status, 201);
      assert.notEqual(a.body.id, b.body.id);
      assert.equal(b.headers.get('idempotent-replayed'), null);
      assert.equal((await query("SELECT COUNT() FROM Task WHERE Subject = 'Escalate twice'")).body.totalSize, 2);
    });
  });

  describe('SOQL', () => {
    const world = () => sandbox.world();

    it('filters with =, IN, AND, OR and parentheses exactly as the world says', async () => {
      const expected = world().orders.filter((o) => o.region === 'UK' && (o.status === 'shipped' || o.status === 'delivered')).length;
      const res = await query("SELECT Id, Order_Number__c FROM Order WHERE Region__c = 'UK' AND (Status = 'Shipped' OR Status = 'Delivered')");
      assert.equal(res.body.totalSize, expected);
      const inList = await query("SELECT Id FROM Order WHERE Region__c = 'UK' AND Status IN ('Shipped', 'Delivered')");
      assert.equal(inList.body.totalSize, expected);
      const notIn = await query("SELECT Id FROM Order WHERE Region__c = 'UK' AND Status NOT IN ('Shipped', 'Delivered')");
      assert.equal(notIn.body.totalSize, world().orders.filter((o) => o.region === 'UK').length - expected);
    });

    it('compares numbers, dates and nulls, and matches LIKE case-insensitively', async () => {
      const big = world().orders.filter((o) => o.total >= 30000).length;
      assert.equal((await query('SELECT COUNT() FROM Order WHERE TotalAmount >= 300')).body.totalSize, big);
      const cutoff = world().orders[0].placedAt.slice(0, 10);
      const after = world().orders.filter((o) => o.placedAt.slice(0, 10) > cutoff).length;
      assert.equal((await query(`SELECT Id FROM Order WHERE EffectiveDate > ${cutoff}`)).body.totalSize, after);
      const untracked = world().orders.filter((o) => !o.trackingNumber).length;
      assert.equal((await query('SELECT Id FROM Order WHERE Tracking_Number__c = null')).body.totalSize, untracked);
      const like = await query("SELECT Id, Subject FROM Case WHERE Subject LIKE '%where is my ORDER%'");
      assert.equal(like.body.totalSize, world().cases.filter((c) => c.reason === 'delayed-shipment').length);
    });

    it('orders, limits and offsets, and nests parent relationship fields', async () => {
      const sorted = [...world().orders].sort((a, b) => b.total - a.total);
      const res = await query('SELECT Order_Number__c, TotalAmount, Account.Customer_Id__c FROM Order ORDER BY TotalAmount DESC LIMIT 3 OFFSET 1');
      assert.equal(res.body.records.length, 3);
      assert.deepEqual(res.body.records.map((r) => r.TotalAmount), sorted.slice(1, 4).map((o) => o.total / 100));
      const first = res.body.records[0] as { Order_Number__c: string; Account: { Customer_Id__c: string; attributes: { type: string } } };
      assert.equal(first.Account.attributes.type, 'Account');
      assert.equal(first.Account.Customer_Id__c, world().orders.find((o) => o.orderNumber === first.Order_Number__c)!.customerId);
      assert.deepEqual(Object.keys(res.body.records[0]).sort(), ['Account', 'Order_Number__c', 'TotalAmount', 'attributes']);
    });

    it('rejects malformed queries, unknown fields and objects, quoted dates and filters on long text', async () => {
      const cases: [string, string][] = [
        ['SELECT FROM Case', 'MALFORMED_QUERY'],
        ['SELECT Id Case', 'MALFORMED_QUERY'],
        ["SELECT Id FROM Case WHERE Status = 'New", 'MALFORMED_QUERY'],
        ['SELECT Id FROM Case WHERE Status', 'MALFORMED_QUERY'],
        ['SELECT Id FROM Case LIMIT ten', 'MALFORMED_QUERY'],
        ['SELECT Id, Colour__c FROM Case', 'INVALID_FIELD'],
        ['SELECT Id FROM Case ORDER BY Nope', 'INVALID_FIELD'],
        ['SELECT Id FROM Cases', 'INVALID_TYPE'],
        ["SELECT Id FROM Customer_Adjustment__c WHERE Business_Date__c = '2026-01-01'", 'INVALID_FIELD'],
        ["SELECT Id FROM CaseComment WHERE CommentBody = 'x'", 'INVALID_FIELD'],
      ];
      for (const [soql, code] of cases) {
        const res = await query(soql);
        assert.equal(res.status, 400, soql);
        assert.equal(errorCode(res), code, soql);
      }
    });

    it('pages past 2,000 records with nextRecordsUrl, honouring Sforce-Query-Options batchSize', async () => {
      const seeded = await fetch(`${url}/__sandbox/salesforce/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ object: 'Product2', count: 2_100, fields: { Family: 'Seeded' } }) });
      assert.equal(seeded.status, 201);
      const first = await query("SELECT Id, StockKeepingUnit FROM Product2 WHERE Family = 'Seeded'");
      assert.equal(first.body.totalSize, 2_100);
      assert.equal(first.body.records.length, 2_000);
      assert.equal(first.body.done, false);
      assert.match(first.body.nextRecordsUrl!, /^\/services\/data\/v62\.0\/query\/01g[a-zA-Z0-9]{15}-2000$/);
      const second = await call<{ done: boolean; records: Json[] }>('GET', `${url}${first.body.nextRecordsUrl}`);
      assert.equal(second.body.done, true);
      assert.equal(second.body.records.length, 100);

      const ids = new Set<string>();
      let page = await query("SELECT Id FROM Product2 WHERE Family = 'Seeded'", { 'sforce-query-options': 'batchSize=500' });
      let pages = 1;
      page.body.records.forEach((r) => ids.add(r.Id as string));
      while (!page.body.done) {
        page = await call('GET', `${url}${page.body.nextRecordsUrl}`);
        page.body.records.forEach((r) => ids.add(r.Id as string));
        pages += 1;
      }
      assert.equal(pages, 5);
      assert.equal(ids.size, 2_100);
      assert.equal(errorCode(await call('GET', '/query/01g000000000000AAA-2000')), 'INVALID_QUERY_LOCATOR');
    });
  });

  describe('sObject Collections', () => {
    it('creates per record, or rolls everything back with allOrNone', async () => {
      const mixed = await call<{ success: boolean; id?: string; errors: { statusCode: string }[] }[]>('POST', '/composite/sobjects', {
        allOrNone: false,
        records: [{ attributes: { type: 'Task' }, Subject: 'ok' }, { attributes: { type: 'Task' } }],
      });
      assert.equal(mixed.status, 200);
      assert.equal(mixed.body[0].success, true);
      assert.equal(mixed.body[1].errors[0].statusCode, 'REQUIRED_FIELD_MISSING');
      const before = (await sfAdmin.ledger({ kind: 'Task.created' })).count;
      const rolledBack = await call<{ success: boolean; errors: { statusCode: string }[] }[]>('POST', '/composite/sobjects', {
        allOrNone: true,
        records: [{ attributes: { type: 'Task' }, Subject: 'kept?' }, { attributes: { type: 'Task' } }],
      });
      assert.deepEqual(rolledBack.body.map((r) => r.errors[0].statusCode), ['ALL_OR_NONE_OPERATION_ROLLED_BACK', 'REQUIRED_FIELD_MISSING']);
      assert.equal((await sfAdmin.ledger({ kind: 'Task.created' })).count, before);
      assert.equal((await query("SELECT COUNT() FROM Task WHERE Subject = 'kept?'")).body.totalSize, 0);
      const tooMany = await call('POST', '/composite/sobjects', { records: Array.from({ length: 201 }, () => ({ attributes: { type: 'Task' }, Subject: 'x' })) });
      assert.equal(errorCode(tooMany), 'EXCEEDED_ID_LIMIT');
    });

    it('upserts a collection by external id with created flags', async () => {
      const body = { allOrNone: false, records: ['coll:1', 'coll:2'].map((k) => ({ attributes: { type: 'Customer_Adjustment__c' }, External_Id__c: k, Amount__c: 5, Type__c: 'Goodwill Credit', Business_Date__c: '2026-02-02' })) };
      const first = await call<{ created: boolean }[]>('PATCH', '/composite/sobjects/Customer_Adjustment__c/External_Id__c', body);
      const second = await call<{ created: boolean }[]>('PATCH', '/composite/sobjects/Customer_Adjustment__c/External_Id__c', body);
      assert.deepEqual(first.body.map((r) => r.created), [true, true]);
      assert.deepEqual(second.body.map((r) => r.created), [false, false]);
    });

    it('upserts by external id as Salesforce does: 200 records at most, the URL\'s type only, a repeated key refused per record, allOrNone rolling back', async () => {
      const order = (n: string, extra: Record<string, unknown> = {}) => ({ attributes: { type: 'Order' }, Order_Number__c: n, Status: 'Activated', ...extra });
      const path = '/composite/sobjects/Order/Order_Number__c';
      const tooMany = await call('PATCH', path, { allOrNone: false, records: Array.from({ length: 201 }, (_, i) => order(`SO-COLL-${i}`)) });
      assert.deepEqual([tooMany.status, errorCode(tooMany)], [400, 'EXCEEDED_ID_LIMIT']);

      type Item = { success: boolean; created?: boolean; errors: { statusCode: string; fields: string[] }[] };
      const [existing, other] = [sandbox.world().orders[5].orderNumber, sandbox.world().orders[6].orderNumber];
      const mixed = await call<Item[]>('PATCH', path, {
        allOrNone: false,
        records: [order(existing), { attributes: { type: 'Case' }, Order_Number__c: 'x', Subject: 'y' }, order(other, { Status: 'Activated' }), order(other, { Status: 'Cancelled' }), order('SO-COLL-NEW')],
      });
      assert.equal(mixed.status, 200);
      assert.deepEqual(mixed.body.map((r) => r.success), [true, false, false, false, false]);
      assert.deepEqual(mixed.body.slice(1).map((r) => r.errors[0].statusCode), ['INVALID_TYPE', 'DUPLICATE_EXTERNAL_ID', 'DUPLICATE_EXTERNAL_ID', 'REQUIRED_FIELD_MISSING']);
      assert.deepEqual(mixed.body[4].errors[0].fields.sort(), ['AccountId', 'EffectiveDate']);

      const before = (await sfAdmin.ledger({ kind: 'Order.updated' })).count;
      const rolledBack = await call<Item[]>('PATCH', path, { allOrNone: true, records: [order(existing, { Status: 'Cancelled' }), order('SO-COLL-NEW')] });
      assert.deepEqual(rolledBack.body.map((r) => r.errors[0]?.statusCode), ['ALL_OR_NONE_OPERATION_ROLLED_BACK', 'REQUIRED_FIELD_MISSING']);
      assert.equal((await sfAdmin.ledger({ kind: 'Order.updated' })).count, before, 'nothing committed');
    });
  });

  describe('Bulk API 2.0 ingest', () => {
    async function runJob(object: string, operation: string, csv: string, externalIdFieldName?: string) {
      const job = await call<{ id: string; state: string }>('POST', '/jobs/ingest', { object, operation, externalIdFieldName, contentType: 'CSV', lineEnding: 'LF' });
      assert.equal(job.body.state, 'Open');
      assert.equal((await call('PUT', `/jobs/ingest/${job.body.id}/batches`, csv)).status, 201);
      assert.equal((await call<{ state: string }>('PATCH', `/jobs/ingest/${job.body.id}`, { state: 'UploadComplete' })).body.state, 'UploadComplete');
      const states: string[] = [];
      for (let i = 0; i < 60; i++) {
        const info = await call<{ state: string; numberRecordsProcessed: number; numberRecordsFailed: number }>('GET', `/jobs/ingest/${job.body.id}`);
        states.push(info.body.state);
        if (['JobComplete', 'Failed', 'Aborted'].includes(info.body.state)) return { id: job.body.id, states, info: info.body };
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail('job did not finish');
    }

    it('upserts orders from CSV, moving UploadComplete → InProgress → JobComplete, with CSV results', async () => {
      const csv = ['Order_Number__c,Status,Shipment_Status__c,EffectiveDate,Account.Customer_Id__c', 'SO-100004,Delivered,delivered,,', '"SO-BULK-X1",Draft,,2026-03-01,C-000002', 'SO-BULK-X2,Draft,,,'].join('\n');
      const { id, states, info } = await runJob('Order', 'upsert', csv, 'Order_Number__c');
      assert.deepEqual([...new Set(states)], ['UploadComplete', 'InProgress', 'JobComplete']);
      assert.equal(info.numberRecordsProcessed, 3);
      assert.equal(info.numberRecordsFailed, 1);
      const ok = await call<string>('GET', `/jobs/ingest/${id}/successfulResults`);
      assert.match(ok.headers.get('content-type') ?? '', /^text\/csv/);
      const lines = ok.body.trim().split('\n');
      assert.equal(lines[0], '"sf__Id","sf__Created","Order_Number__c","Status","Shipment_Status__c","EffectiveDate","Account.Customer_Id__c"');
      assert.ok(lines.some((l) => /^"801\w{15}","false","SO-100004"/.test(l)));
      assert.ok(lines.some((l) => /^"801\w{15}","true","SO-BULK-X1"/.test(l)));
      const failed = await call<string>('GET', `/jobs/ingest/${id}/failedResults`);
      assert.match(failed.body, /"","REQUIRED_FIELD_MISSING:Required fields are missing: \[EffectiveDate, AccountId\][^"]*","SO-BULK-X2"/);
      assert.equal((await sfAdmin.ledger({ kind: 'Order.created', key: 'SO-BULK-X1' })).count, 1);
    });

    it('fails the whole job on an unknown column, and refuses results before completion', async () => {
      const job = await call<{ id: string }>('POST', '/jobs/ingest', { object: 'Order', operation: 'insert' });
      assert.equal(errorCode(await call('GET', `/jobs/ingest/${job.body.id}/successfulResults`)), 'INVALIDJOBSTATE');
      const { info } = await runJob('Order', 'insert', 'Order_Number__c,Colour__c\nSO-C1,red\n');
      assert.equal(info.state, 'Failed');
      assert.equal(errorCode(await call('POST', '/jobs/ingest', { object: 'Nope', operation: 'insert' })), 'INVALIDJOB');
      assert.equal(errorCode(await call('POST', '/jobs/ingest', { object: 'Order', operation: 'upsert', externalIdFieldName: 'Status' })), 'INVALIDJOB');
    });
  });

  describe('faults in the Salesforce dialect', () => {
    it('writes injected errors as [{ message, errorCode }] and rate limits as 403 REQUEST_LIMIT_EXCEEDED without Retry-After', async () => {
      await sfAdmin.fault({ kind: 'error', status: 400, errorCode: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access to this record', path: '/services/data/*/sobjects/Case', count: 1 });
      const locked = await call('PATCH', '/sobjects/Case/500000000000001AAA', { Status: 'Working' });
      assert.equal(locked.status, 400);
      assert.equal(locked.headers.get('content-type'), 'application/json;charset=UTF-8');
      assert.equal(errorCode(locked), 'UNABLE_TO_LOCK_ROW');
      await sfAdmin.fault({ kind: 'rate-limit', retryAfterSeconds: 7, count: 1 });
      const limited = await call('GET', '/limits');
      assert.equal(limited.status, 403);
      assert.equal(limited.headers.get('retry-after'), null);
      assert.deepEqual(limited.body, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED', fields: [] }]);
      await sfAdmin.fault({ kind: 'outage', durationMs: 1_000 });
      assert.equal(errorCode(await call('GET', '/limits')), 'SERVER_UNAVAILABLE');
    });

    it('enforces the daily request limit as 403 REQUEST_LIMIT_EXCEEDED (TotalRequests)', async () => {
      const setUsage = (body: Json) => fetch(`${url}/__sandbox/salesforce/api-usage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<{ used: number; max: number }>);
      const usage = await setUsage({});
      await setUsage({ max: usage.used });
      try {
        const res = await call<{ message: string; errorCode: string }[]>('GET', '/limits');
        assert.equal(res.status, 403);
        assert.equal(res.body[0].errorCode, 'REQUEST_LIMIT_EXCEEDED');
        assert.match(res.body[0].message, /TotalRequests/);
      } finally {
        await setUsage({ max: usage.max });
      }
    });
  });

  describe('as strict as Salesforce, through a plain jsforce client', () => {
    const keyPair = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const appKey = keyPair();
    const jsforce = () => new Connection({ instanceUrl: url, accessToken: token, version: '62.0' });
    /** jsforce's own OAuth2 client posting the JWT bearer grant (grant_type and assertion only). */
    const authorize = (assertion: string) => new Connection({ loginUrl: url, version: '62.0' }).authorize({ grant_type: JWT_BEARER_GRANT, assertion });
    const assertion = (overrides: Partial<Parameters<typeof jwtAssertion>[0]> = {}) =>
      jwtAssertion({ clientId: 'retail-orchestrator', username: 'integration@retail.example', audience: url, privateKey: appKey.privateKey, ...overrides });
    const refusal = async (promise: Promise<unknown>) =>
      promise.then(
        () => assert.fail('expected the token endpoint to refuse'),
        (err: Error) => ({ error: err.name, description: err.message }),
      );

    before(async () => {
      const res = await fetch(`${url}/__sandbox/salesforce/connected-apps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'retail-orchestrator', certificate: appKey.publicKey }),
      });
      assert.equal(res.status, 201);
    });

    it('issues a session for a good JWT bearer assertion, and jsforce works with it', async () => {
      const conn = new Connection({ loginUrl: url, version: '62.0' });
      const user = await conn.authorize({ grant_type: JWT_BEARER_GRANT, assertion: assertion() });
      assert.match(user.id, /^005/);
      assert.match(user.organizationId, /^00D/);
      assert.equal(conn.instanceUrl, url);
      const found = await conn.query<{ CaseNumber: string }>("SELECT Id, CaseNumber FROM Case WHERE CaseNumber = '00010001'");
      assert.equal(found.records[0].CaseNumber, '00010001');
    });

    it('refuses expired, wrongly signed, other-audience, unknown-issuer and unknown-subject assertions with Salesforce\'s OAuth errors', async () => {
      const tenMinutesAgo = Date.now() - 10 * 60_000;
      assert.deepEqual(await refusal(authorize(assertion({ now: tenMinutesAgo }))), { error: 'invalid_grant', description: 'expired authorization code' });
      assert.deepEqual(await refusal(authorize(assertion({ privateKey: keyPair().privateKey }))), { error: 'invalid_grant', description: 'invalid assertion' });
      assert.deepEqual(await refusal(authorize(assertion({ audience: 'https://login.salesforce.com' }))), { error: 'invalid_grant', description: 'audience is invalid' });
      assert.deepEqual(await refusal(authorize(assertion({ clientId: 'someone-else' }))), { error: 'invalid_client_id', description: 'client identifier invalid' });
      assert.deepEqual(await refusal(authorize(assertion({ username: 'ghost@retail.example' }))), { error: 'invalid_grant', description: "user hasn't approved this consumer" });
      // exp more than 3 minutes ahead, and a token that is not a JWT at all
      assert.deepEqual(await refusal(authorize(assertion({ now: Date.now() + 30 * 60_000 }))), { error: 'invalid_grant', description: 'invalid assertion' });
      assert.deepEqual(await refusal(authorize('not.a.jwt')), { error: 'invalid_grant', description: 'invalid assertion' });
      const raw = await grant({ grant_type: JWT_BEARER_GRANT, assertion: assertion({ now: tenMinutesAgo }) });
      assert.equal(raw.status, 400);
      assert.equal(raw.headers.get('content-type'), 'application/json;charset=UTF-8');
    });

    it('refuses a not-yet-valid assertion (nbf in the future)', async () => {
      const [header] = assertion().split('.');
      const now = Math.floor(Date.now() / 1000);
      const claims = Buffer.from(JSON.stringify({ iss: 'retail-orchestrator', sub: 'integration@retail.example', aud: url, exp: now + 120, nbf: now + 60 })).toString('base64url');
      const signature = sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), appKey.privateKey).toString('base64url');
      assert.deepEqual(await refusal(authorize(`${header}.${claims}.${signature}`)), { error: 'invalid_grant', description: 'invalid assertion' });
    });

    it('runs a JWT session as its subject: identity, ownership of what it creates (REST and Bulk 2.0); an inactive user is refused', async () => {
      const users = ['integration@retail.example', 'ana.agent@retail.example', 'lee.former@retail.example'];
      const res = await fetch(`${url}/__sandbox/salesforce/connected-apps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'retail-orchestrator', certificate: appKey.publicKey, preAuthorizedUsers: users }),
      });
      assert.equal(res.status, 201);
      const ana = (await jsforce().query<{ Id: string }>("SELECT Id FROM User WHERE Username = 'ana.agent@retail.example'")).records[0].Id;
      const conn = new Connection({ loginUrl: url, version: '62.0' });
      await conn.authorize({ grant_type: JWT_BEARER_GRANT, assertion: assertion({ username: users[1] }) });
      assert.equal((await conn.identity()).user_id, ana);
      const created = (await conn.sobject('Account').create({ Name: 'Opened by Ana' })) as { id: string };
      assert.equal((await conn.sobject('Account').retrieve(created.id)).OwnerId, ana);
      const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
      await job.open();
      await job.uploadData('Name\nBulk by Ana\n');
      await job.close();
      await job.poll(100, 10_000);
      assert.equal((await job.check()).createdById, ana);
      const [row] = (await job.getAllResults()).successfulResults as { sf__Id: string }[];
      assert.equal((await conn.sobject('Account').retrieve(row.sf__Id)).OwnerId, ana);
      assert.deepEqual(await refusal(authorize(assertion({ username: users[2] }))), { error: 'invalid_grant', description: 'inactive user' });
    });

    it('applies a write sent twice twice, whatever Idempotency-Key jsforce passes along', async () => {
      const conn = jsforce();
      const headers = { 'Idempotency-Key': 'same-key' };
      const a = await conn.sobject('Task').create({ Subject: 'Sent twice by jsforce' }, { headers });
      const b = await conn.sobject('Task').create({ Subject: 'Sent twice by jsforce' }, { headers });
      assert.ok(a.success && b.success);
      assert.notEqual(a.id, b.id);
      assert.equal((await sfAdmin.ledger({ kind: 'Task.created' })).entries.filter((e) => e.ref === a.id || e.ref === b.id).length, 2);
    });

    it('answers an exhausted allowance with 403 REQUEST_LIMIT_EXCEEDED, which jsforce surfaces by errorCode', async () => {
      await sfAdmin.fault({ kind: 'rate-limit', path: '/services/data/*/query', count: 1 });
      const err = await jsforce()
        .query('SELECT Id FROM Case LIMIT 1')
        .then(
          () => assert.fail('expected the limit'),
          (e: { errorCode?: string; message: string }) => e,
        );
      assert.equal(err.errorCode, 'REQUEST_LIMIT_EXCEEDED');
      assert.match(err.message, /TotalRequests/);
      const since = Date.now() - 5_000;
      const seen = (await sfAdmin.requests(since)).requests.filter((r) => r.path.endsWith('/query') && r.status === 403);
      assert.equal(seen.length, 1, 'jsforce does not retry a 403');
    });

    it('deletes a Bulk 2.0 job only in UploadComplete, JobComplete, Aborted or Failed', async () => {
      const conn = jsforce();
      const open = conn.bulk2.createJob({ object: 'Task', operation: 'insert', lineEnding: 'LF' });
      await open.open();
      const refused = await open.delete().then(
        () => assert.fail('an Open job cannot be deleted'),
        (e: Error & { errorCode?: string }) => e,
      );
      assert.equal(refused.errorCode, 'INVALIDJOBSTATE');
      assert.equal((await open.check()).state, 'Open');
      await open.abort();
      await open.delete();
      const gone = await fetch(`${data()}/jobs/ingest/${open.id}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(gone.status, 404);

      const uploaded = conn.bulk2.createJob({ object: 'Task', operation: 'insert', lineEnding: 'LF' });
      await uploaded.open();
      await uploaded.uploadData('Subject\nBulk task to delete\n');
      await uploaded.close();
      await uploaded.delete();
      assert.equal((await fetch(`${data()}/jobs/ingest/${uploaded.id}`, { headers: { authorization: `Bearer ${token}` } })).status, 404);
    });

    it('upserts collections only with attributes.type on every record and a real external id field', async () => {
      const conn = jsforce();
      const record = (key: string) => ({ External_Id__c: key, Amount__c: 5, Type__c: 'Goodwill Credit', Business_Date__c: '2026-02-03' });
      const untyped = await conn.request<unknown>({ method: 'PATCH', url: '/services/data/v62.0/composite/sobjects/Customer_Adjustment__c/External_Id__c', body: JSON.stringify({ allOrNone: false, records: [record('strict:1')] }), headers: { 'content-type': 'application/json' } }).then(
        () => assert.fail('records without attributes.type are refused'),
        (e: Error & { errorCode?: string }) => e,
      );
      assert.equal(untyped.errorCode, 'INVALID_TYPE');
      assert.equal((await query("SELECT COUNT() FROM Customer_Adjustment__c WHERE External_Id__c = 'strict:1'")).body.totalSize, 0);

      const byId = await conn.sobject('Task').upsert([{ Id: '00T000000000001AAA', Subject: 'x' }, { Id: '00T000000000002AAA', Subject: 'y' }], 'Id').then(
        () => assert.fail('Id is not an external id for collections'),
        (e: Error & { errorCode?: string }) => e,
      );
      assert.equal(byId.errorCode, 'INVALID_FIELD');

      const typed = await conn.sobject('Customer_Adjustment__c').upsert([record('strict:2'), record('strict:3')], 'External_Id__c');
      assert.deepEqual(typed.map((r) => r.success), [true, true]);
    });

    it('runs Bulk API 2.0 query jobs the way the bulk2.query of jsforce drives them, with parent fields as columns', async () => {
      const conn = jsforce();
      const soql = "SELECT Id, CaseNumber, Account.Customer_Id__c FROM Case WHERE Status != 'Closed' ORDER BY CaseNumber";
      const rest = await conn.query<{ Id: string; CaseNumber: string; Account: { Customer_Id__c: string } | null }>(soql);
      const rows = (await (await conn.bulk2.query(soql, { pollInterval: 100, pollTimeout: 10_000 })).toArray()) as Record<string, string>[];
      assert.equal(rows.length, rest.totalSize);
      assert.deepEqual(
        rows.map((r) => [r.Id, r.CaseNumber, r['Account.Customer_Id__c']]),
        rest.records.map((r) => [r.Id, r.CaseNumber, r.Account?.Customer_Id__c ?? '']),
      );
      const bad = await conn.bulk2.query('SELECT Nope FROM Case', { pollInterval: 100, pollTimeout: 5_000 }).then(
        () => assert.fail('an unknown field is refused when the job is created'),
        (e: Error & { errorCode?: string }) => e,
      );
      assert.equal(bad.errorCode, 'INVALID_FIELD');
    });

    it('revokes the session on jsforce logout', async () => {
      const conn = new Connection({ oauth2: { loginUrl: url, clientId: 'retail-orchestrator', clientSecret: 'sandbox-client-secret' }, version: '62.0' });
      await conn.login('integration@retail.example', 'sandbox-password');
      const session = conn.accessToken!;
      await conn.logout();
      const after = await fetch(`${data()}/limits`, { headers: { authorization: `Bearer ${session}` } });
      assert.equal(after.status, 401);
    });

    it('logs in through the SOAP login() a plain jsforce Connection uses, and logs out there', async () => {
      const conn = new Connection({ loginUrl: url, version: '62.0' });
      const user = await conn.login('integration@retail.example', 'sandbox-password');
      assert.match(user.organizationId, /^00D/);
      assert.equal(conn.instanceUrl, url);
      const cases = await conn.query<{ CaseNumber: string }>('SELECT CaseNumber FROM Case LIMIT 2');
      assert.equal(cases.records.length, 2);
      const session = conn.accessToken!;
      await conn.logout();
      assert.equal((await fetch(`${data()}/limits`, { headers: { authorization: `Bearer ${session}` } })).status, 401);
      // Logging out again is a fault naming the session header, as in Salesforce.
      const again = await fetch(`${url}/services/Soap/u/62.0`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml', soapaction: '""' },
        body: `<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header><SessionHeader xmlns="urn:partner.soap.sforce.com"><sessionId>${session}</sessionId></SessionHeader></se:Header><se:Body><logout xmlns="urn:partner.soap.sforce.com"/></se:Body></se:Envelope>`,
      });
      assert.equal(again.status, 500);
      assert.match(await again.text(), /<faultcode>sf:INVALID_SESSION_ID<\/faultcode>/);
    });

    it('refuses a wrong password, a missing SOAPAction, an unknown operation and login() after API 64.0 with SOAP faults', async () => {
      await assert.rejects(new Connection({ loginUrl: url, version: '62.0' }).login('integration@retail.example', 'wrong'), /^Error: INVALID_LOGIN: Invalid username, password, security token; or user locked out\.$/);
      await assert.rejects(new Connection({ loginUrl: url, version: '65.0' }).login('integration@retail.example', 'sandbox-password'), /UNSUPPORTED_API_VERSION/);
      const soap = (body: string, headers: Record<string, string> = { soapaction: '""' }) =>
        fetch(`${url}/services/Soap/u/62.0`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', ...headers }, body });
      const login = '<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Body><urn:login xmlns:urn="urn:partner.soap.sforce.com"><urn:username>integration@retail.example</urn:username><urn:password>sandbox-password</urn:password></urn:login></se:Body></se:Envelope>';
      const prefixed = await soap(login);
      assert.equal(prefixed.status, 200, 'namespace prefixes on the operation and its fields are XML like any other');
      assert.match(await prefixed.text(), /<sessionId>[^<]+<\/sessionId>/);
      const noAction = await soap(login, {});
      assert.equal(noAction.status, 500);
      assert.match(await noAction.text(), /<faultstring>No SOAPAction header!<\/faultstring>/);
      const other = await soap(login.replace(/login/g, 'query'));
      assert.equal(other.status, 500);
      assert.match(await other.text(), /No operation available for request \{urn:partner\.soap\.sforce\.com\}query/);
    });

    it('answers getUpdated and getDeleted for a window of the last 30 days; a deleted record is in the recycle bin (ENTITY_IS_DELETED, queryAll)', async () => {
      const conn = new Connection({ oauth2: { loginUrl: url, clientId: 'retail-orchestrator', clientSecret: 'sandbox-client-secret' }, version: '62.0' });
      await conn.login('integration@retail.example', 'sandbox-password');
      const start = new Date(Date.now() - 60_000).toISOString();
      const [kept, gone] = (await conn.sobject('Account').create([{ Name: 'Replicated' }, { Name: 'Deleted soon' }])).map((r) => (r as { id: string }).id);
      await conn.sobject('Account').destroy(gone);
      const end = new Date(Date.now() + 60_000).toISOString();
      const updated = await conn.sobject('Account').updated(start, end);
      assert.ok(updated.ids.includes(kept));
      assert.ok(!updated.ids.includes(gone), 'a deleted record is not among the updated ones');
      assert.ok(Date.parse(updated.latestDateCovered.replace('+0000', 'Z')) <= Date.now());
      const deleted = await conn.sobject('Account').deleted(start, end);
      assert.deepEqual(deleted.deletedRecords.map((r) => r.id), [gone]);
      assert.match(deleted.deletedRecords[0].deletedDate, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
      const entity = await conn.sobject('Account').retrieve(gone).then(
        () => assert.fail('a deleted record was retrieved'),
        (e: Error & { errorCode?: string }) => e,
      );
      assert.equal(entity.errorCode, 'ENTITY_IS_DELETED');
      // In the recycle bin: queryAll (REST and Bulk 2.0) finds it with IsDeleted, query does not.
      const soql = `SELECT Id, Name, IsDeleted FROM Account WHERE Id IN ('${kept}', '${gone}') ORDER BY Name`;
      assert.deepEqual((await conn.query(soql)).records.map((r) => [r.Id, r.IsDeleted]), [[kept, false]]);
      assert.deepEqual((await conn.query(soql, { scanAll: true })).records.map((r) => [r.Id, r.IsDeleted]), [[gone, true], [kept, false]]);
      const bulkAll = (await (await conn.bulk2.query(soql, { scanAll: true, pollInterval: 100, pollTimeout: 5_000 })).toArray()) as Record<string, string>[];
      assert.deepEqual(bulkAll.map((r) => [r.Id, r.IsDeleted]), [[gone, 'true'], [kept, 'false']]);
      const old = await conn.sobject('Account').updated(new Date(Date.now() - 31 * 24 * 3600_000).toISOString(), end).then(
        () => assert.fail('a window older than 30 days was answered'),
        (e: Error & { errorCode?: string }) => e,
      );
      assert.equal(old.errorCode, 'INVALID_REPLICATION_DATE');
      const backwards = await call('GET', `/sobjects/Account/updated/?start=${encodeURIComponent(end)}&end=${encodeURIComponent(start)}`);
      assert.equal(backwards.status, 400);
      assert.equal(errorCode(backwards), 'INVALID_REPLICATION_DATE');
      assert.equal(errorCode(await call('GET', '/sobjects/Account/updated/')), 'MISSING_ARGUMENT');
    });

    it('explains a query as a table scan of the rows it would return, lists the version\'s resources, and checks the query first', async () => {
      const conn = new Connection({ instanceUrl: url, accessToken: token, version: '62.0' });
      const cases = await conn.query<{ Id: string }>("SELECT Id FROM Case WHERE Status = 'New'");
      const all = await conn.sobject('Case').count({});
      const explained = await conn.query("SELECT Id FROM Case WHERE Status = 'New'").explain();
      assert.deepEqual(
        explained.plans.map((p) => [p.leadingOperationType, p.sobjectType, p.cardinality, p.sobjectCardinality]),
        [['TableScan', 'Case', cases.totalSize, all]],
      );
      const refused = await conn.query('SELECT Bogus__c FROM Case').explain().then(
        () => assert.fail('an unknown field was explained'),
        (e: Error & { errorCode?: string }) => e,
      );
      assert.equal(refused.errorCode, 'INVALID_FIELD');
      const basic = await conn.sobject('Case').recent();
      assert.deepEqual(basic, [], 'nothing viewed or referenced');
      const info = await call<{ objectDescribe: { name: string; keyPrefix: string } }>('GET', '/sobjects/Case');
      assert.deepEqual([info.status, info.body.objectDescribe.name, info.body.objectDescribe.keyPrefix], [200, 'Case', '500']);
      assert.equal((await call('GET', '/sobjects/Widget__c')).status, 404);
      const resources = await call<Record<string, string>>('GET', '');
      assert.equal(resources.status, 200);
      assert.equal(resources.body.query, '/services/data/v62.0/query');
      assert.equal(resources.body.sobjects, '/services/data/v62.0/sobjects');
    });

    it('answers identity and userinfo for the session\'s own user from its User record, and no one else\'s', async () => {
      const conn = new Connection({ instanceUrl: url, accessToken: token, version: '62.0' });
      const me = await conn.identity();
      const record = await conn.sobject('User').retrieve(me.user_id);
      assert.deepEqual([me.username, me.display_name, me.email], [record.Username, record.Name, record.Email]);
      const info = (await conn.request('/services/oauth2/userinfo')) as Record<string, unknown>;
      assert.deepEqual([info.user_id, info.preferred_username, info.email, info.sub], [me.user_id, record.Username, record.Email, me.id]);
      const other = (await conn.query<{ Id: string }>(`SELECT Id FROM User WHERE Id != '${me.user_id}' LIMIT 1`)).records[0].Id;
      const theirs = await fetch(me.id.replace(me.user_id, other), { headers: { authorization: `Bearer ${token}` } });
      assert.deepEqual([theirs.status, await theirs.text()], [403, 'Bad_Id']);
      const forged = await fetch(`${url}/services/oauth2/userinfo`, { headers: { authorization: 'Bearer not-a-session' } });
      assert.deepEqual([forged.status, await forged.text()], [403, 'Bad_OAuth_Token']);
    });

    it('makes the session\'s user the owner of what it creates, unless an owner is given', async () => {
      const conn = new Connection({ instanceUrl: url, accessToken: token, version: '62.0' });
      const me = await conn.identity();
      const other = (await conn.query<{ Id: string }>(`SELECT Id FROM User WHERE Id != '${me.user_id}' LIMIT 1`)).records[0].Id;
      const [mine, theirs] = (await conn.sobject('Account').create([{ Name: 'Owned by me' }, { Name: 'Owned by another', OwnerId: other }])).map((r) => (r as { id: string }).id);
      const owners = (await conn.query<{ Id: string; OwnerId: string }>(`SELECT Id, OwnerId FROM Account WHERE Id IN ('${mine}', '${theirs}') ORDER BY Name DESC`)).records;
      assert.deepEqual(owners.map((r) => [r.Id, r.OwnerId]), [[mine, me.user_id], [theirs, other]]);
      const scoped = (await conn.query<{ Id: string }>(`SELECT Id FROM Account USING SCOPE Mine WHERE Id IN ('${mine}', '${theirs}')`)).records.map((r) => r.Id);
      assert.deepEqual(scoped, [mine]);
    });

    it('keeps at most 10 query cursors per user: the oldest is released and its next page is INVALID_QUERY_LOCATOR', async () => {
      const seeded = await fetch(`${url}/__sandbox/salesforce/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ object: 'Product2', count: 300, fields: { Family: 'Cursors' } }) });
      assert.equal(seeded.status, 201);
      const conn = jsforce();
      const soql = encodeURIComponent("SELECT Id FROM Product2 WHERE Family = 'Cursors'");
      const cursors: string[] = [];
      for (let i = 0; i < 11; i++) {
        const page = await conn.request<{ done: boolean; nextRecordsUrl: string }>({ method: 'GET', url: `/services/data/v62.0/query?q=${soql}`, headers: { 'Sforce-Query-Options': 'batchSize=200' } });
        assert.equal(page.done, false);
        cursors.push(page.nextRecordsUrl);
      }
      const released = await conn.queryMore(cursors[0]).then(
        () => assert.fail('the oldest cursor was released'),
        (e: Error & { errorCode?: string }) => e,
      );
      assert.equal(released.errorCode, 'INVALID_QUERY_LOCATOR');
      for (const kept of [cursors[1], cursors[10]]) {
        const rest = await conn.queryMore(kept);
        assert.equal(rest.done, true);
        assert.equal(rest.records.length, 100);
      }
    });
  });
});
