import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { setDefaults } from 'jsforce/lib/request';
import { createSalesforceActivities } from '../../src/activities/salesforce';
import { createSalesforceConnector, type SalesforceConnector } from '../../src/connectors/salesforce';
import { DAILY_LIMIT_DELAY_MS, CONCURRENT_LIMIT_DELAY_MS, limitBackoffMs } from '../../src/connectors/salesforce/classify';
import type { AdjustmentInput } from '../../src/domain/adjustment';
import { RetryableDownstreamError } from '../../src/domain/errors';
import type { Sandbox } from '../../sandbox';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';
import { failure } from '../helpers/failures';
import { userId } from '../helpers/users';

describe('Salesforce connector (jsforce against the sandbox over HTTP)', function () {
  this.timeout(20_000);
  let sandbox: Sandbox;
  let sf: SalesforceConnector;
  let sfAdmin: ReturnType<typeof admin>;
  let url: string;

  before(async () => {
    sandbox = await startTestSandbox(['salesforce']);
    url = sandbox.urls.salesforce!;
    sfAdmin = admin(url);
    // A high breaker volume keeps the fault tests about classification, not about the circuit opening.
    sf = createSalesforceConnector(configFor(sandbox, { BREAKER_VOLUME: '1000' }));
  });
  afterEach(async () => {
    await sfAdmin.clearFaults();
  });
  after(async () => {
    sf?.shutdown();
    await sandbox?.close();
  });

  const adjustment = (externalId: string, overrides: Partial<AdjustmentInput> = {}): AdjustmentInput => ({
    externalId,
    orderNumber: 'SO-100001',
    amount: { amount: 2599, currency: 'USD' },
    type: 'refund',
    status: 'posted',
    businessDate: '2026-03-02',
    refundId: 're_123',
    ...overrides,
  });

  it('reads a case by number with its order, customer, store, region and segment', async () => {
    const world = sandbox.world();
    const worldCase = world.cases[0];
    const order = world.orders.find((o) => o.orderNumber === worldCase.orderNumber)!;
    const customer = world.customers.find((c) => c.customerId === worldCase.customerId)!;
    const found = await sf.getCaseByNumber(worldCase.caseNumber);
    assert.equal(found.caseNumber, worldCase.caseNumber);
    assert.match(found.caseId, /^500[a-zA-Z0-9]{15}$/);
    assert.equal(found.orderNumber, worldCase.orderNumber);
    assert.equal(found.customerId, worldCase.customerId);
    assert.equal(found.storeId, order.storeId);
    assert.equal(found.region, order.region);
    assert.equal(found.segment, customer.segment);
    assert.equal(found.reason, worldCase.reason);
    assert.equal(found.status, worldCase.status);
    assert.deepEqual(sf.limitInfo()?.limit, 100_000);
  });

  it('an unknown case number is a non-retryable NotFoundError', async () => {
    const err = await failure(sf.getCaseByNumber('99999999'));
    assert.equal(err.type, 'NotFoundError');
    assert.equal(err.retryable, false);
  });

  it('reads a customer with segment, region, home store and contact email', async () => {
    const c = sandbox.world().customers[3];
    const customer = await sf.getCustomer(c.customerId);
    assert.equal(customer.customerId, c.customerId);
    assert.equal(customer.segment, c.segment);
    assert.equal(customer.region, c.region);
    assert.equal(customer.homeStoreId, c.homeStoreId);
    assert.equal(customer.email, c.email);
    assert.match(customer.accountId, /^001/);
  });

  it('reads a deciding user: active flag and approval limit in their currency; 15-character ids work; unknown and malformed ids are refused', async () => {
    const sam = userId(sandbox, 'supervisorUsd');
    assert.deepEqual(await sf.getUser(sam), { userId: sam, name: 'Sam Stone', email: 'sam.supervisor@retail.example', username: 'sam.supervisor@retail.example', active: true, refundApprovalLimit: { amount: 1_000_000, currency: 'USD' } });
    const agent = await sf.getUser(userId(sandbox, 'agent').slice(0, 15));
    assert.deepEqual([agent.name, agent.active, agent.refundApprovalLimit], ['Ana Alves', true, undefined]);
    assert.equal((await sf.getUser(userId(sandbox, 'inactive'))).active, false);
    await assert.rejects(sf.getUser(`${userId(sandbox, 'agent').slice(0, 3)}${'z'.repeat(12)}`), (err: Error & { type?: string }) => err.type === 'NotFoundError');
    await assert.rejects(sf.getUser('J. Smith'), (err: Error & { type?: string }) => err.type === 'ValidationError');
  });

  it('pages a query across more than 2,000 records by following nextRecordsUrl', async () => {
    const businessDate = '2025-06-30';
    const seeded = await fetch(`${url}/__sandbox/salesforce/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ object: 'Customer_Adjustment__c', count: 2_345, fields: { Business_Date__c: businessDate, Amount__c: 12.34, CurrencyIsoCode: 'EUR' } }),
    });
    assert.equal(seeded.status, 201);
    const since = await sfAdmin.mark();
    const adjustments = await sf.listAdjustments(businessDate);
    assert.equal(adjustments.length, 2_345);
    assert.equal(new Set(adjustments.map((a) => a.externalId)).size, 2_345);
    assert.deepEqual(adjustments[0].amount, { amount: 1234, currency: 'EUR' });
    assert.ok(adjustments.every((a) => a.businessDate === businessDate && a.type === 'goodwill-credit'));
    const { requests } = await sfAdmin.requests(since);
    assert.equal(requests.filter((r) => /\/query$/.test(r.path)).length, 1);
    assert.equal(requests.filter((r) => /\/query\/01g\w{15}-2000$/.test(r.path)).length, 1, 'second page fetched through the query locator');
  });

  it('runs a query again when Salesforce released its cursor (INVALID_QUERY_LOCATOR), and fails retryably if that keeps happening', async () => {
    const businessDate = '2025-06-30'; // seeded by the paging test above
    const released = { kind: 'error', status: 400, errorCode: 'INVALID_QUERY_LOCATOR', message: 'invalid query locator', method: 'GET', path: '/services/data/*/query/*' };
    await sfAdmin.fault({ ...released, count: 1 });
    const since = await sfAdmin.mark();
    assert.equal((await sf.listAdjustments(businessDate)).length, 2_345);
    const { requests } = await sfAdmin.requests(since);
    assert.deepEqual(
      requests.map((r) => `${r.path.replace(/^.*\/query/, '/query').replace(/01g\w{15}/, 'locator')} ${r.status}`),
      ['/query 200', '/query/locator-2000 400', '/query 200', '/query/locator-2000 200'],
    );

    await sfAdmin.fault({ ...released, count: 3 });
    const err = await failure(sf.listAdjustments(businessDate));
    assert.equal(err.type, 'DownstreamUnavailableError');
    assert.equal(err.retryable, true);
    assert.equal(err.code, 'INVALID_QUERY_LOCATOR');
  });

  it('upserts an adjustment by External_Id__c: created, then updated, one record and one creation in the ledger', async () => {
    const key = 'refund/case-1:salesforceAdjustment'.replace('/', ':');
    const since = await sfAdmin.mark();
    const first = await sf.upsertAdjustment(adjustment(key));
    assert.equal(first.created, true);
    assert.match(first.recordId, /^a0B[a-zA-Z0-9]{15}$/);
    const second = await sf.upsertAdjustment(adjustment(key));
    assert.deepEqual(second, { recordId: first.recordId, created: false });
    const statuses = (await sfAdmin.requests(since)).requests.filter((r) => r.method === 'PATCH').map((r) => r.status);
    assert.deepEqual(statuses, [201, 200]);
    assert.equal((await sfAdmin.ledger({ kind: 'Customer_Adjustment__c.created', key })).count, 1);
    assert.equal((await sfAdmin.ledger({ key })).entries.filter((e) => e.ref === first.recordId).length, 2);
    const listed = (await sf.listAdjustments('2026-03-02')).filter((a) => a.externalId === key);
    assert.equal(listed.length, 1);
    assert.deepEqual(listed[0].amount, { amount: 2599, currency: 'USD' });
    assert.equal(listed[0].refundId, 're_123');
  });

  it('adds a case comment once per idempotency key', async () => {
    const found = await sf.getCaseByNumber(sandbox.world().cases[1].caseNumber);
    const first = await sf.addCaseComment(found.caseId, 'Refund of 25.99 USD issued.', 'refund:case-2:comment-refunded');
    const again = await sf.addCaseComment(found.caseId, 'Refund of 25.99 USD issued.', 'refund:case-2:comment-refunded');
    const other = await sf.addCaseComment(found.caseId, 'Credit memo posted.', 'refund:case-2:comment-credited');
    assert.equal(first.created, true);
    assert.deepEqual(again, { commentId: first.commentId, created: false });
    assert.notEqual(other.commentId, first.commentId);
    const comments = (await sfAdmin.ledger({ kind: 'CaseComment.created' })).entries.filter((e) => e.data?.ParentId === found.caseId);
    assert.equal(comments.length, 2);
  });

  it('creates an escalation task once per idempotency key', async () => {
    const found = await sf.getCaseByNumber(sandbox.world().cases[2].caseNumber);
    const first = await sf.createEscalationTask(found.caseId, 'Approve refund above threshold', 'refund:case-3:escalate');
    const again = await sf.createEscalationTask(found.caseId, 'Approve refund above threshold', 'refund:case-3:escalate');
    assert.equal(first.created, true);
    assert.deepEqual(again, { taskId: first.taskId, created: false });
    assert.equal((await sfAdmin.ledger({ kind: 'Task.created', key: 'refund:case-3:escalate' })).count, 1, 'the key is the task\'s external id Retail_Key__c');
    assert.equal((await sfAdmin.ledger({ kind: 'Task.updated', ref: first.taskId })).count, 0, 'an existing task is left as a person may have worked it');
  });

  it('updates case status and resolution', async () => {
    const found = await sf.getCaseByNumber(sandbox.world().cases[4].caseNumber);
    await sf.recordCaseResolution(found.caseId, 'refund', 'Closed');
    const after = await sf.getCaseByNumber(found.caseNumber);
    assert.equal(after.status, 'Closed');
    assert.equal(after.resolution, 'refund');
    assert.equal((await sfAdmin.ledger({ kind: 'Case.updated', ref: found.caseId })).count, 1);
  });

  it('refreshes an expired session transparently by re-running the grant', async () => {
    const caseNumber = sandbox.world().cases[0].caseNumber;
    await sf.getCaseByNumber(caseNumber);
    await fetch(`${url}/__sandbox/salesforce/expire-tokens`, { method: 'POST' });
    const since = await sfAdmin.mark();
    const found = await sf.getCaseByNumber(caseNumber);
    assert.equal(found.caseNumber, caseNumber);
    const sequence = (await sfAdmin.requests(since)).requests.map((r) => `${r.method} ${r.path.replace(/\/services\/data\/v[\d.]+/, '')} ${r.status}`);
    assert.deepEqual(sequence, ['GET /query 401', 'POST /services/oauth2/token 200', 'GET /query 200']);
  });

  it('wrong client credentials are a non-retryable AuthorizationError', async () => {
    const wrong = createSalesforceConnector(configFor(sandbox, { SALESFORCE_CLIENT_SECRET: 'not-the-secret' }));
    try {
      const err = await failure(wrong.getCaseByNumber(sandbox.world().cases[0].caseNumber));
      assert.equal(err.type, 'AuthorizationError');
      assert.equal(err.code, 'invalid_client');
    } finally {
      wrong.shutdown();
    }
  });

  it('talks to the configured URL directly even when jsforce picked up an HTTP proxy from the environment', async () => {
    // jsforce's request module takes http(s)_proxy at import time; point it at a dead proxy.
    setDefaults({ httpProxy: 'http://127.0.0.1:9', followRedirect: true });
    try {
      const found = await sf.getCaseByNumber(sandbox.world().cases[0].caseNumber);
      assert.ok(found.caseId);
    } finally {
      setDefaults({ httpProxy: process.env.https_proxy ?? process.env.http_proxy ?? process.env.HTTPS_PROXY ?? process.env.HTTP_PROXY, followRedirect: true });
    }
  });

  describe('classification of injected faults', () => {
    it('UNABLE_TO_LOCK_ROW (HTTP 400) is retryable: classified by errorCode, not status', async () => {
      await sfAdmin.fault({ kind: 'error', status: 400, errorCode: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access to this record', method: 'PATCH', path: '/services/data/*/sobjects/Customer_Adjustment__c', count: 1 });
      const err = await failure(sf.upsertAdjustment(adjustment('lock:1')));
      assert.equal(err.type, 'DownstreamUnavailableError');
      assert.equal(err.retryable, true);
      assert.equal(err.code, 'UNABLE_TO_LOCK_ROW');
      assert.equal((await sf.upsertAdjustment(adjustment('lock:1'))).created, true, 'the retry goes through');
    });

    it('a rate limit is 403 REQUEST_LIMIT_EXCEEDED without Retry-After: RateLimitedError with the connector\'s own delay, and jsforce does not retry it', async () => {
      await sf.getCustomer('C-000001'); // a success ends any earlier limit streak
      await sfAdmin.fault({ kind: 'rate-limit', retryAfterSeconds: 7, path: '/services/data/*/query', count: 1 });
      const since = await sfAdmin.mark();
      const err = await failure(sf.getCaseByNumber(sandbox.world().cases[0].caseNumber));
      assert.equal(err.type, 'RateLimitedError');
      assert.equal(err.retryable, true);
      assert.equal(err.status, 403);
      assert.equal(err.code, 'REQUEST_LIMIT_EXCEEDED');
      assert.equal((err as RetryableDownstreamError).retryAfterMs, DAILY_LIMIT_DELAY_MS, 'no Retry-After: the connector chooses');
      assert.equal((await sfAdmin.requests(since)).requests.filter((r) => r.path.endsWith('/query')).length, 1);
    });

    it('backs off exponentially while the limit lasts, per kind of limit, and starts over after a success', async () => {
      await sf.getCustomer('C-000001');
      await sfAdmin.fault({ kind: 'error', status: 403, errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'ConcurrentRequests (Concurrent API Requests) Limit exceeded.', count: 3 });
      const delays: number[] = [];
      for (let i = 0; i < 3; i++) delays.push(((await failure(sf.getCustomer('C-000001'))) as RetryableDownstreamError).retryAfterMs!);
      assert.deepEqual(delays, [CONCURRENT_LIMIT_DELAY_MS, 2 * CONCURRENT_LIMIT_DELAY_MS, 4 * CONCURRENT_LIMIT_DELAY_MS]);
      await sf.getCustomer('C-000001');

      const usage = await (await fetch(`${url}/__sandbox/salesforce/api-usage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json() as { used: number; max: number };
      await fetch(`${url}/__sandbox/salesforce/api-usage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ max: usage.used }) });
      try {
        const daily = await failure(sf.getCustomer('C-000001'));
        assert.equal(daily.type, 'RateLimitedError');
        assert.equal(daily.status, 403);
        assert.equal((daily as RetryableDownstreamError).retryAfterMs, DAILY_LIMIT_DELAY_MS, 'the streak started over after the success');
        const again = await failure(sf.getCustomer('C-000001'));
        assert.equal((again as RetryableDownstreamError).retryAfterMs, 2 * DAILY_LIMIT_DELAY_MS);
      } finally {
        await fetch(`${url}/__sandbox/salesforce/api-usage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ max: usage.max }) });
      }
      assert.equal(limitBackoffMs('TotalRequests Limit exceeded.', 30), 60 * 60_000, 'capped at an hour');
      assert.equal(limitBackoffMs('ConcurrentRequests Limit exceeded.', 30), 60_000, 'capped at a minute');
    });

    it('NOT_FOUND from the API is a non-retryable NotFoundError', async () => {
      const err = await failure(sf.updateCaseStatus('500000000000001AAA', 'Working'));
      assert.equal(err.type, 'NotFoundError');
      assert.equal(err.retryable, false);
      assert.equal(err.code, 'NOT_FOUND');
    });

    it('a validation rule failure is a non-retryable ValidationError', async () => {
      const err = await failure(sf.upsertAdjustment(adjustment('zero:1', { amount: { amount: 0, currency: 'USD' } })));
      assert.equal(err.type, 'ValidationError');
      assert.equal(err.code, 'FIELD_CUSTOM_VALIDATION_EXCEPTION');
      assert.equal((await sfAdmin.ledger({ key: 'zero:1' })).count, 0);
    });

    it('a 503 outage is a retryable DownstreamUnavailableError', async () => {
      await sfAdmin.fault({ kind: 'outage', durationMs: 5_000, path: '/services/data' });
      const err = await failure(sf.getCaseByNumber(sandbox.world().cases[0].caseNumber));
      assert.equal(err.type, 'DownstreamUnavailableError');
      assert.equal(err.retryable, true);
      assert.equal(err.code, 'SERVER_UNAVAILABLE');
    });

    it('a connection reset is a retryable DownstreamUnavailableError', async () => {
      await sfAdmin.fault({ kind: 'reset', method: 'PATCH', path: '/services/data', count: 1 });
      const err = await failure(sf.upsertOrderStatus({ orderNumber: 'SO-100002', status: 'shipped' }));
      assert.equal(err.type, 'DownstreamUnavailableError');
      assert.equal(err.retryable, true);
    });

    it('a response slower than the configured timeout is a retryable TimeoutError', async () => {
      const impatient = createSalesforceConnector(configFor(sandbox, { DOWNSTREAM_TIMEOUT_MS: '300', BREAKER_VOLUME: '1000' }));
      try {
        await impatient.getCustomer('C-000001');
        await sfAdmin.fault({ kind: 'latency', latencyMs: 1_000, path: '/services/data', count: 1 });
        const err = await failure(impatient.getCustomer('C-000001'));
        assert.equal(err.type, 'TimeoutError');
        assert.equal(err.retryable, true);
      } finally {
        impatient.shutdown();
      }
    });

    it('activities carry the type and the chosen delay to Temporal as ApplicationFailure', async () => {
      await sf.getCustomer('C-000001');
      await sfAdmin.fault({ kind: 'rate-limit', path: '/services/data/*/query', count: 1 });
      const activities = createSalesforceActivities(sf);
      try {
        await activities.getCaseByNumber(sandbox.world().cases[0].caseNumber);
        assert.fail('expected a failure');
      } catch (err) {
        assert.ok(err instanceof ApplicationFailure);
        assert.equal(err.type, 'RateLimitedError');
        assert.equal(err.nonRetryable, false);
        assert.equal(err.nextRetryDelay, DAILY_LIMIT_DELAY_MS);
      }
    });
  });

  it('upserts order status by order number: existing orders update, new ones are created under their account', async () => {
    const updated = await sf.upsertOrderStatus({ orderNumber: 'SO-100003', status: 'shipped', shipmentStatus: 'in_transit', trackingNumber: 'UP123', carrier: 'UPS' });
    assert.equal(updated.created, false);
    const created = await sf.upsertOrderStatus({ orderNumber: 'SO-900001', status: 'created', customerId: 'C-000005', placedAt: '2026-03-01T10:00:00Z' });
    assert.equal(created.created, true);
    assert.equal((await sfAdmin.ledger({ kind: 'Order.created', key: 'SO-900001' })).count, 1);
    const orderUpdate = (await sfAdmin.ledger({ kind: 'Order.updated', ref: updated.orderId })).entries.at(-1)!;
    assert.equal(orderUpdate.data?.Shipment_Status__c, 'in_transit');
  });

  it('upserts a few hundred orders through Bulk API 2.0 and reports created, updated and failed records', async () => {
    const world = sandbox.world();
    const existing = world.orders.slice(10, 260).map((o) => ({ orderNumber: o.orderNumber, status: 'delivered' as const, shipmentStatus: 'delivered' as const }));
    const fresh = Array.from({ length: 40 }, (_, i) => ({ orderNumber: `SO-BULK-${i}`, status: 'created' as const, customerId: world.customers[i].customerId, placedAt: '2026-03-01T09:00:00Z' }));
    const invalid = Array.from({ length: 10 }, (_, i) => ({ orderNumber: `SO-NOACCOUNT-${i}`, status: 'created' as const }));
    const createdBefore = (await sfAdmin.ledger({ kind: 'Order.created' })).count;
    const states: string[] = [];
    const result = await sf.upsertOrdersBulk([...existing, ...fresh, ...invalid], { pollIntervalMs: 100, onProgress: (p) => states.push(p.state) });
    assert.match(result.jobId, /^750/);
    assert.equal(result.updated, 250);
    assert.equal(result.created, 40);
    assert.equal(result.failed, 10);
    assert.ok(result.failures.every((f) => f.errorCode === 'REQUIRED_FIELD_MISSING' && f.orderNumber.startsWith('SO-NOACCOUNT-')));
    assert.equal(states.at(-1), 'JobComplete');
    assert.ok(states.length >= 2, 'the job was polled while it ran');
    assert.equal((await sfAdmin.ledger({ kind: 'Order.created' })).count - createdBefore, 40);
  });

  describe('exactly once under timeouts after the write (the answer is lost, the write is not)', () => {
    let impatient: SalesforceConnector;
    before(() => {
      impatient = createSalesforceConnector(configFor(sandbox, { DOWNSTREAM_TIMEOUT_MS: '400', BREAKER_VOLUME: '1000' }));
    });
    after(() => impatient?.shutdown());

    /** The first matching write commits, then its answer comes after the client gave up; the retry must not write again. */
    const loseAnswer = (method: string, path: string) => sfAdmin.fault({ kind: 'slow-response', method, path, latencyMs: 1_200, count: 1 });
    const timedOut = async (promise: Promise<unknown>) => {
      const err = await failure(promise);
      assert.equal(err.type, 'TimeoutError');
      assert.equal(err.retryable, true);
    };

    it('a CaseComment: the retry finds the first attempt\'s comment by its marker', async () => {
      const found = await impatient.getCaseByNumber(sandbox.world().cases[6].caseNumber);
      await loseAnswer('POST', '/services/data/*/sobjects/CaseComment');
      await timedOut(impatient.addCaseComment(found.caseId, 'Refund issued.', 'refund:timeout-case:comment-refunded'));
      const retry = await impatient.addCaseComment(found.caseId, 'Refund issued.', 'refund:timeout-case:comment-refunded');
      assert.equal(retry.created, false);
      const comments = (await sfAdmin.ledger({ kind: 'CaseComment.created' })).entries.filter((e) => e.data?.ParentId === found.caseId);
      assert.equal(comments.length, 1, 'exactly one comment');
      assert.equal(comments[0].ref, retry.commentId);
    });

    it('a Task: the retry finds it by Retail_Key__c', async () => {
      const found = await impatient.getCaseByNumber(sandbox.world().cases[7].caseNumber);
      await loseAnswer('PATCH', '/services/data/*/sobjects/Task/Retail_Key__c');
      await timedOut(impatient.createEscalationTask(found.caseId, 'Approval overdue', 'refund:timeout-case:escalate'));
      const retry = await impatient.createEscalationTask(found.caseId, 'Approval overdue', 'refund:timeout-case:escalate');
      assert.equal(retry.created, false);
      assert.equal((await sfAdmin.ledger({ kind: 'Task.created', key: 'refund:timeout-case:escalate' })).count, 1, 'exactly one task');
    });

    it('a Customer_Adjustment__c and an Order: upserts by external id update on the retry', async () => {
      await loseAnswer('PATCH', '/services/data/*/sobjects/Customer_Adjustment__c');
      await timedOut(impatient.upsertAdjustment(adjustment('refund:timeout-case:adjustment')));
      assert.equal((await impatient.upsertAdjustment(adjustment('refund:timeout-case:adjustment'))).created, false);
      assert.equal((await sfAdmin.ledger({ kind: 'Customer_Adjustment__c.created', key: 'refund:timeout-case:adjustment' })).count, 1, 'exactly one adjustment');

      await loseAnswer('PATCH', '/services/data/*/sobjects/Order');
      await timedOut(impatient.upsertOrderStatus({ orderNumber: 'SO-TIMEOUT-1', status: 'created', customerId: 'C-000001', placedAt: '2026-03-01T10:00:00Z' }));
      assert.equal((await impatient.upsertOrderStatus({ orderNumber: 'SO-TIMEOUT-1', status: 'created', customerId: 'C-000001', placedAt: '2026-03-01T10:00:00Z' })).created, false);
      assert.equal((await sfAdmin.ledger({ kind: 'Order.created', key: 'SO-TIMEOUT-1' })).count, 1, 'exactly one order');
    });
  });

  describe('OAuth 2.0 JWT bearer flow', () => {
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const keyFile = join(mkdtempSync(join(tmpdir(), 'sf-jwt-')), 'connected-app.key');
    const jwtEnv = { SALESFORCE_GRANT: 'jwt_bearer', SALESFORCE_USERNAME: 'integration@retail.example', SALESFORCE_JWT_KEY_FILE: keyFile, BREAKER_VOLUME: '1000' };

    before(async () => {
      writeFileSync(keyFile, keys.privateKey, { mode: 0o600 });
      const res = await fetch(`${url}/__sandbox/salesforce/connected-apps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clientId: 'retail-orchestrator', certificate: keys.publicKey }) });
      assert.equal(res.status, 201);
    });

    it('signs in with the JWT bearer grant and re-runs it when the session expires', async () => {
      const jwt = createSalesforceConnector(configFor(sandbox, { ...jwtEnv, SALESFORCE_CLIENT_SECRET: 'not-used-by-this-grant' }));
      try {
        const since = await sfAdmin.mark();
        const found = await jwt.getCaseByNumber(sandbox.world().cases[0].caseNumber);
        assert.equal(found.caseNumber, sandbox.world().cases[0].caseNumber);
        await fetch(`${url}/__sandbox/salesforce/expire-tokens`, { method: 'POST' });
        await jwt.getCaseByNumber(sandbox.world().cases[0].caseNumber);
        const sequence = (await sfAdmin.requests(since)).requests.map((r) => `${r.method} ${r.path.replace(/\/services\/data\/v[\d.]+/, '')} ${r.status}`);
        assert.deepEqual(sequence, ['POST /services/oauth2/token 200', 'GET /query 200', 'GET /query 401', 'POST /services/oauth2/token 200', 'GET /query 200']);
      } finally {
        jwt.shutdown();
      }
    });

    it('a key the connected app does not know is a non-retryable AuthorizationError (invalid_grant)', async () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
      const wrong = createSalesforceConnector(configFor(sandbox, { ...jwtEnv, SALESFORCE_JWT_KEY_FILE: '', SALESFORCE_JWT_KEY: other.privateKey }));
      try {
        const err = await failure(wrong.getCaseByNumber(sandbox.world().cases[0].caseNumber));
        assert.equal(err.type, 'AuthorizationError');
        assert.equal(err.retryable, false);
        assert.equal(err.code, 'invalid_grant');
      } finally {
        wrong.shutdown();
      }
    });

    it('refuses at start-up without a username or key, or with a key file that is not a PEM private key', () => {
      assert.throws(() => configFor(sandbox, { SALESFORCE_GRANT: 'jwt_bearer', SALESFORCE_JWT_KEY_FILE: keyFile }), /SALESFORCE_USERNAME/);
      assert.throws(() => configFor(sandbox, { SALESFORCE_GRANT: 'jwt_bearer', SALESFORCE_USERNAME: 'integration@retail.example' }), /SALESFORCE_JWT_KEY_FILE/);
      const notAKey = join(mkdtempSync(join(tmpdir(), 'sf-jwt-')), 'public.pem');
      writeFileSync(notAKey, keys.publicKey);
      assert.throws(() => createSalesforceConnector(configFor(sandbox, { ...jwtEnv, SALESFORCE_JWT_KEY_FILE: notAKey })), /not a PEM private key/);
      assert.throws(() => createSalesforceConnector(configFor(sandbox, { ...jwtEnv, SALESFORCE_JWT_KEY_FILE: join(tmpdir(), 'no-such-key.pem') })), /ENOENT/);
    });
  });
});
