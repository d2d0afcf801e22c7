import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { Sandbox } from '../../sandbox';
import { buildActivities, type SystemActivities } from '../../src/activities';
import { customerSyncTarget, ensureCustomerChangePoll } from '../../src/client/customer-master';
import type { Config } from '../../src/config';
import { customerMasterConfigFromEnv, type CustomerMasterConfig } from '../../src/config/customer-master';
import { intakeConfigFromEnv, type IntakeTopic } from '../../src/config/intake';
import { createErpCustomerMaster, type ErpCustomerMaster } from '../../src/connectors/erp/customers';
import { createSalesforceConnector, type SalesforceConnector } from '../../src/connectors/salesforce';
import { createPubSubConnector, type PubSubConnector } from '../../src/connectors/salesforce-pubsub';
import type { CustomerChange } from '../../src/domain/customer-master';
import { createLogger, type Logger } from '../../src/observability/logger';
import { TopicIntake } from '../../src/starters/intake/subscriber';
import { createWorkers, shutdownWorkers } from '../../src/workers/workers';
import { customerChangePollStateQuery, customerChangeSignal, customerSync, customerSyncStateQuery, customerSyncWorkflowId } from '../../src/workflows/customer-sync';
import { configFor, startTestSandbox, admin } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { eventually } from './case-resolution-world';

type SfRecord = Record<string, unknown>;

/** The customer master kept in step between Salesforce and the ERP, over HTTP against the sandbox and the dev server. */
describe('customerSync: the customer master between Salesforce and the ERP', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let sandbox: Sandbox;
  let config: Config;
  let customers: CustomerMasterConfig;
  let activities: SystemActivities;
  let workers: Worker[];
  let running: Promise<unknown>;
  let salesforce: SalesforceConnector;
  let pubsub: PubSubConnector;
  let erp: ErpCustomerMaster;
  const stopIntake = new AbortController();
  let intakes: Promise<void>[] = [];

  const startWorkers = async () => {
    workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle: await getWorkflowBundle(), activities });
    running = Promise.all(workers.map((w) => w.run()));
  };
  const stopWorkers = async () => {
    shutdownWorkers(workers);
    await running;
  };

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    env = await getTestEnv();
    sandbox = await startTestSandbox(['salesforce', 'erpCloud']);
    config = configFor(sandbox, isolatedQueueEnv('customers'));
    customers = customerMasterConfigFromEnv({ CUSTOMER_SYNC: 'on', CUSTOMER_POLL_INTERVAL: '300 ms', CUSTOMER_POLL_PAGE_SIZE: '5' });
    activities = buildActivities(config);
    await startWorkers();
    salesforce = createSalesforceConnector(config);
    pubsub = createPubSubConnector(config, salesforce);
    erp = createErpCustomerMaster(config);
    // The intake's own code, in process: Account and Contact change events into each customer's sync.
    const subscribed = new Set<string>();
    const base = createLogger({ level: 'warn' });
    const logger = new Proxy(base, { get: (target, prop) => (prop === 'info' ? (message: string, meta?: { topic?: string }) => (message === 'intake subscribed' && meta?.topic ? subscribed.add(meta.topic) : undefined) : Reflect.get(target, prop)) }) as Logger;
    const intake = intakeConfigFromEnv({ INTAKE_ID: uniqueName('customers-intake'), INTAKE_RETRY_DELAY_MS: '200' });
    const topics: IntakeTopic[] = ['/data/AccountChangeEvent', '/data/ContactChangeEvent'];
    intakes = topics.map((topic) => new TopicIntake({ client: env.client, config, intake, salesforce, pubsub, logger, customers: customerSyncTarget(config, customers) }, topic).run(stopIntake.signal));
    await eventually(async () => (subscribed.size === topics.length ? true : undefined), 60_000, 'the intake to subscribe');
  });
  after(async () => {
    stopIntake.abort();
    await Promise.all(intakes);
    await stopWorkers();
    await activities?.close();
    pubsub?.shutdown();
    salesforce?.shutdown();
    erp?.shutdown();
    await sandbox?.close();
  });

  const world = () => sandbox.world();
  const state = (customerId: string) => env.client.workflow.getHandle(customerSyncWorkflowId(customerId)).query(customerSyncStateQuery);
  const records = async (object: string): Promise<SfRecord[]> => {
    const s = (await (await fetch(`${sandbox.urls.salesforce}/__sandbox/state`)).json()) as { records: Record<string, Record<string, SfRecord>> };
    return Object.values(s.records[object] ?? {});
  };
  const erpUpdates = async (customerId: string) => (await admin(sandbox.urls.erpCloud!).ledger({ kind: 'customer.updated', ref: customerId })).entries;
  /** An ERP user's edit: read, then update under the version read. */
  const erpEdit = async (customerId: string, body: Record<string, unknown>) => {
    const current = await erp.getCustomer(customerId);
    const res = await fetch(`${sandbox.urls.erpCloud}/api/v2/customers/${customerId}`, { method: 'PATCH', headers: { 'x-api-key': 'erp-sandbox-key', 'content-type': 'application/json', 'if-match': `"${current.version}"` }, body: JSON.stringify(body) });
    assert.equal(res.status, 200, await res.text());
  };
  /** The feed's end right now: a poll started here sees only what happens next. */
  const feedEnd = async () => {
    let cursor: string | undefined;
    for (;;) {
      const page = await erp.listCustomerChanges({ cursor, pageSize: 500 });
      cursor = page.nextCursor ?? cursor;
      if (!page.hasMore) return cursor;
    }
  };
  /** Settled: nothing queued, nothing left to write. */
  const settled = (customerId: string, check: (s: Awaited<ReturnType<typeof state>>) => boolean, what: string) =>
    eventually(async () => {
      const s = await state(customerId);
      return s.pending === 0 && check(s) ? s : undefined;
    }, 60_000, what);

  it('writes a Salesforce-owned field changed in Salesforce to the ERP, once, under If-Match and an Idempotency-Key', async () => {
    const c = world().customers[20];
    const master = await salesforce.getCustomerMaster({ customerId: c.customerId });
    await salesforce.updateCustomerMaster({ accountId: master.accountId, contactId: master.contactId }, { email: 'first.choice@example.com', marketingConsent: !master.values.marketingConsent });

    const s = await settled(c.customerId, (x) => x.writes.erp === 1, 'the email written to the ERP');
    const inErp = await erp.getCustomer(c.customerId);
    assert.equal(inErp.values.email, 'first.choice@example.com');
    assert.equal(inErp.values.marketingConsent, !master.values.marketingConsent);
    const updates = await erpUpdates(c.customerId);
    assert.equal(updates.length, 1, 'one ERP update for the change');
    assert.equal(updates[0].idempotencyKey, `customer:${c.customerId}:erp-customer-update:1`, 'the key names the workflow and the write');
    assert.deepEqual(s.conflicts, []);
    assert.equal(s.writes.salesforce, 0, 'nothing written back to Salesforce');
  });

  it('writes an ERP-owned field changed in the ERP to Salesforce, and its change event coming back is an echo, not a change', async () => {
    const c = world().customers[21];
    const poll = await ensureCustomerChangePoll(env.client, config, customers, { id: uniqueName('poll'), cursor: await feedEnd() });
    try {
      await erpEdit(c.customerId, { creditLimit: '7777.00', paymentTerms: 'NET15' });
      await settled(c.customerId, (x) => x.writes.salesforce === 1, 'the credit limit written to Salesforce');
      const [account] = (await records('Account')).filter((a) => a.ERP_Customer_Id__c === c.customerId);
      assert.equal(account.Credit_Limit__c, 7777);
      assert.equal(account.Payment_Terms__c, 'NET15');
      // Salesforce's change event for our own write reaches the workflow through the intake: dropped as an echo.
      const s = await settled(c.customerId, (x) => x.events.echoes >= 1, 'the echo of our write');
      assert.deepEqual(s.conflicts, [], 'our own write is not a conflict');
      assert.equal(s.writes.erp, 0, 'nothing bounced back to the ERP');
      assert.equal((await erpUpdates(c.customerId)).length, 1, 'only the ERP user edit');
    } finally {
      await poll.terminate('test over');
    }
  });

  it('drops a repeated change and one older than a change already applied', async () => {
    const c = world().customers[22];
    const master = await salesforce.getCustomerMaster({ customerId: c.customerId });
    const change = (eventId: string, version: number, email: string): CustomerChange => ({ eventId, source: 'salesforce', customerId: c.customerId, version, occurredAt: new Date().toISOString(), values: { email }, salesforce: { accountId: master.accountId, contactId: master.contactId } });
    const input = { customerId: c.customerId, ownership: customers.ownership, taskQueues: { salesforce: config.taskQueues.salesforce, erp: config.taskQueues.erp } };
    const send = (...changes: CustomerChange[]) => env.client.workflow.signalWithStart(customerSync, { workflowId: customerSyncWorkflowId(c.customerId), taskQueue: config.taskQueues.orchestration, args: [input], signal: customerChangeSignal, signalArgs: [changes] });
    await send(change('sf-1', 2_000, 'newest@example.com'));
    await settled(c.customerId, (x) => x.writes.erp === 1, 'the first change written');
    await send(change('sf-1', 2_000, 'newest@example.com'), change('sf-0', 1_000, 'older@example.com'));
    const s = await settled(c.customerId, (x) => x.events.received === 3, 'the repeats folded');
    assert.equal(s.events.duplicates, 1);
    assert.equal(s.events.outOfOrder, 1);
    assert.equal((await erp.getCustomer(c.customerId)).values.email, 'newest@example.com', 'the older change did not roll the ERP back');
    assert.equal((await erpUpdates(c.customerId)).length, 1);
  });

  it('routes a change by the non-owning system to the data steward as a Case and overwrites neither side', async () => {
    const c = world().customers[23];
    const before = await erp.getCustomer(c.customerId);
    const master = await salesforce.getCustomerMaster({ customerId: c.customerId });
    // Salesforce does not own the credit limit: someone raised it there anyway.
    await salesforce.updateCustomerMaster({ accountId: master.accountId }, { creditLimit: before.values.creditLimit + 99_900 });
    const s = await settled(c.customerId, (x) => x.conflicts.some((k) => !!k.caseId), 'the conflict Case');
    const [conflict] = s.conflicts;
    assert.equal(conflict.field, 'creditLimit');
    assert.equal(conflict.owner, 'erp');
    assert.equal(conflict.changedBy, 'salesforce');
    const cases = (await records('Case')).filter((k) => k.AccountId === master.accountId && typeof k.Retail_Key__c === 'string' && String(k.Retail_Key__c).includes('customer-conflict'));
    assert.equal(cases.length, 1, 'one Case for the data steward');
    assert.equal(cases[0].Id, conflict.caseId);
    // Neither side overwritten: the ERP keeps its value, Salesforce keeps the steward's evidence.
    const erpNow = await erp.getCustomer(c.customerId);
    assert.equal(erpNow.values.creditLimit, before.values.creditLimit);
    assert.equal(erpNow.version, before.version);
    assert.equal((await salesforce.getCustomerMaster({ customerId: c.customerId })).values.creditLimit, before.values.creditLimit + 99_900);
    assert.equal(s.writes.salesforce, 0);
    assert.equal(s.writes.erp, 0);
  });

  it('re-reads a customer the ERP changed under a write (412), folds that change in, then writes again', async () => {
    const c = world().customers[26];
    const erpAdmin = admin(sandbox.urls.erpCloud!);
    // The workflow's write waits 3 s before the ERP handles it; meanwhile an ERP clerk changes the payment terms.
    const fault = (await erpAdmin.fault({ method: 'PATCH', path: `/api/v2/customers/${c.customerId}`, kind: 'latency', latencyMs: 3_000, count: 1 })) as { id: string };
    const master = await salesforce.getCustomerMaster({ customerId: c.customerId });
    await salesforce.updateCustomerMaster({ accountId: master.accountId, contactId: master.contactId }, { phone: '+1-555-412-0412' });
    await eventually(async () => {
      // A rule with a count leaves the list once spent: the write has arrived and waits.
      const { faults } = (await (await fetch(`${sandbox.urls.erpCloud}/__sandbox/faults`)).json()) as { faults: { id: string }[] };
      return faults.some((f) => f.id === fault.id) ? undefined : true;
    }, 60_000, 'the write to reach the ERP');
    await erpEdit(c.customerId, { paymentTerms: 'NET15' });

    const s = await settled(c.customerId, (x) => x.writes.erp === 1 && x.writes.salesforce === 1, 'the write after the re-read');
    assert.equal(s.writes.erpStale, 1, 'one stale write');
    const inErp = await erp.getCustomer(c.customerId);
    assert.equal(inErp.values.phone, '+1-555-412-0412');
    assert.equal(inErp.values.paymentTerms, 'NET15', "the clerk's change survived");
    assert.equal((await salesforce.getCustomerMaster({ customerId: c.customerId })).values.paymentTerms, 'NET15', "and reached Salesforce (the ERP owns it)");
    assert.deepEqual(s.conflicts, []);
  });

  it('keeps syncing when Salesforce refuses the data steward Case, and opens it after the next change', async () => {
    const c = world().customers[29];
    const sfAdmin = admin(sandbox.urls.salesforce!);
    const before = await erp.getCustomer(c.customerId);
    const master = await salesforce.getCustomerMaster({ customerId: c.customerId });
    // A validation rule on Case refuses the upsert: a rejection, not an outage.
    await sfAdmin.fault({ method: 'PATCH', path: '/services/data/*/sobjects/Case/Retail_Key__c/*', kind: 'error', status: 400, errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: 'Cases need a reason' });
    try {
      await salesforce.updateCustomerMaster({ accountId: master.accountId }, { creditLimit: before.values.creditLimit + 11_100 });
      const s = await settled(c.customerId, (x) => x.lastRefusal?.target === 'salesforce', 'the refused Case');
      assert.equal(s.conflicts.length, 1, 'the conflict is kept');
      assert.equal(s.conflicts[0].caseId, undefined);
      const described = await env.client.workflow.getHandle(customerSyncWorkflowId(c.customerId)).describe();
      assert.equal(described.status.name, 'RUNNING', 'the sync goes on');
    } finally {
      await sfAdmin.clearFaults();
    }
    // A later change: the Case is tried again and opened, the memory of the conflict intact.
    await salesforce.updateCustomerMaster({ accountId: master.accountId }, { creditLimit: before.values.creditLimit + 22_200 });
    const s = await settled(c.customerId, (x) => x.conflicts.some((k) => !!k.caseId), 'the conflict Case');
    assert.equal(s.conflicts.length, 1);
    const cases = (await records('Case')).filter((k) => k.AccountId === master.accountId && String(k.Retail_Key__c ?? '').includes('customer-conflict'));
    assert.equal(cases.length, 1);
  });

  it('stops after a bounded number of stale (412) writes and waits for the next change instead of looping', async () => {
    const c = world().customers[28];
    const erpAdmin = admin(sandbox.urls.erpCloud!);
    // The ERP answers every write as stale while its re-read shows the version already held.
    await erpAdmin.fault({ method: 'PATCH', path: `/api/v2/customers/${c.customerId}`, kind: 'error', status: 412, errorCode: 'PRECONDITION_FAILED', message: 'version mismatch' });
    try {
      const master = await salesforce.getCustomerMaster({ customerId: c.customerId });
      await salesforce.updateCustomerMaster({ accountId: master.accountId, contactId: master.contactId }, { phone: '+1-555-412-0001' });
      await settled(c.customerId, (x) => x.writes.erpStale >= 6, 'the stale writes');
      // Time for a loop to show: a spinning workflow would send six more PATCHes each round.
      await new Promise((r) => setTimeout(r, 4_000));
      const s = await state(c.customerId);
      assert.equal(s.writes.erpStale, 6, 'six tries, then it waits');
      assert.equal(s.lastRefusal?.errorType, 'StaleVersion');
      assert.equal(s.writes.erp, 0);
    } finally {
      await erpAdmin.clearFaults();
    }
    // The next change writes again.
    const master = await salesforce.getCustomerMaster({ customerId: c.customerId });
    await salesforce.updateCustomerMaster({ accountId: master.accountId, contactId: master.contactId }, { phone: '+1-555-412-0002' });
    await settled(c.customerId, (x) => x.writes.erp === 1, 'the write after the next change');
    assert.equal((await erp.getCustomer(c.customerId)).values.phone, '+1-555-412-0002');
  });

  it('treats an ERP change to a Salesforce-owned field as a conflict until the steward aligns the two, then syncs the field again', async () => {
    const c = world().customers[27];
    const poll = await ensureCustomerChangePoll(env.client, config, customers, { id: uniqueName('poll'), cursor: await feedEnd() });
    try {
      await erpEdit(c.customerId, { email: 'typed.by.clerk@example.com' });
      const s = await settled(c.customerId, (x) => x.conflicts.some((k) => !!k.caseId), 'the conflict Case');
      assert.equal(s.conflicts[0].field, 'email');
      assert.equal(s.conflicts[0].changedBy, 'erp');
      const master = await salesforce.getCustomerMaster({ customerId: c.customerId });
      assert.equal(master.values.email, c.email, 'Salesforce, the owner, was not overwritten');
      // The steward decides for the clerk's address and enters it in Salesforce: both agree, the conflict settles.
      await salesforce.updateCustomerMaster({ accountId: master.accountId, contactId: master.contactId }, { email: 'typed.by.clerk@example.com' });
      await settled(c.customerId, (x) => !!x.conflicts[0].resolvedAt, 'the conflict to settle');
      // From now on the owner's changes flow again.
      await salesforce.updateCustomerMaster({ accountId: master.accountId, contactId: master.contactId }, { email: 'after.the.steward@example.com' });
      const after = await settled(c.customerId, (x) => x.writes.erp === 1, 'the next email written to the ERP');
      assert.equal((await erp.getCustomer(c.customerId)).values.email, 'after.the.steward@example.com');
      assert.equal(after.conflicts.length, 1);
    } finally {
      await poll.terminate('test over');
    }
  });

  it('resumes the ERP change poll after a worker restart from its watermark, missing and repeating nothing', async () => {
    const [a, b] = [world().customers[24], world().customers[25]];
    const poll = await ensureCustomerChangePoll(env.client, config, customers, { id: uniqueName('poll'), cursor: await feedEnd() });
    try {
      await erpEdit(a.customerId, { paymentTerms: 'NET60' });
      await settled(a.customerId, (x) => x.writes.salesforce === 1, 'the first change synced');
      const polledBefore = await poll.query(customerChangePollStateQuery);
      assert.equal(polledBefore.forwarded, 1);

      await stopWorkers();
      // While no worker runs: two more changes, one of them to the customer already synced.
      await erpEdit(b.customerId, { paymentTerms: 'NET15' });
      await erpEdit(a.customerId, { paymentTerms: 'PREPAID' });
      await startWorkers();

      const sa = await settled(a.customerId, (x) => x.writes.salesforce === 2, 'the second change of the first customer');
      const sb = await settled(b.customerId, (x) => x.writes.salesforce === 1, 'the change of the second customer');
      const accounts = (await records('Account')).filter((r) => r.ERP_Customer_Id__c === a.customerId || r.ERP_Customer_Id__c === b.customerId);
      assert.equal(accounts.find((r) => r.ERP_Customer_Id__c === a.customerId)!.Payment_Terms__c, 'PREPAID');
      assert.equal(accounts.find((r) => r.ERP_Customer_Id__c === b.customerId)!.Payment_Terms__c, 'NET15');
      const polled = await eventually(async () => {
        const p = await poll.query(customerChangePollStateQuery);
        return p.forwarded >= 3 ? p : undefined;
      }, 30_000, 'the poll to catch up');
      assert.equal(polled.forwarded, 3, 'each ERP change forwarded once');
      assert.equal(sa.events.duplicates + sb.events.duplicates, 0, 'no change repeated');
    } finally {
      await poll.terminate('test over');
    }
  });
});
