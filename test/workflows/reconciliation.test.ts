import assert from 'node:assert/strict';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { Sandbox } from '../../sandbox';
import { buildActivities, type SystemActivities } from '../../src/activities';
import { apiConfig } from '../../src/config/api';
import type { Config } from '../../src/config';
import { createErpConnector } from '../../src/connectors/erp';
import { createPaymentsConnector } from '../../src/connectors/payments';
import { createSalesforceConnector } from '../../src/connectors/salesforce';
import { idempotencyKey } from '../../src/domain/idempotency';
import { previousBusinessDate, reconciliationWorkflowId, type Mismatch, type ReconciliationPolicyInput, type ReconciliationReport } from '../../src/domain/reconciliation';
import { ensureReconciliationSchedule } from '../../src/schedules/reconciliation';
import { readReconciliationReport, startReconciliation } from '../../src/client/reconciliation';
import { API_KEY_HEADER } from '../../src/starters/http/auth';
import { buildApp } from '../../src/starters/http/app';
import { createWorkers, shutdownWorkers } from '../../src/workers/workers';
import type { ReconciliationResult } from '../../src/workflows/reconciliation';
import type { refund } from '../../src/workflows/refund';
import { jsonOf, runCli } from '../cli/cli-harness';
import { keys, testKeys } from '../http/api-world';
import { configFor, startTestSandbox } from '../helpers/sandbox';
import { isolatedQueueEnv, testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { systemQueuesOf } from '../workers/fake-activities';
import { effects, noApproval, paidByCard, pickCase, refundInput, sharedEnv, type PickedCase } from './refund-harness';

/**
 * reconciliation/{date} on the dev server with the real workers and connectors: each mismatch class is
 * built through the systems' APIs (a real refund for the match), then found, repaired as policy allows,
 * escalated otherwise, and a re-run finds nothing new. The report by query, API, CLI and CSV; the Schedule.
 */
describe('reconciliation workflow', function () {
  this.timeout(90_000);
  let sandbox: Sandbox;
  let config: Config;
  let activities: SystemActivities;
  let workers: Worker[] = [];
  let running: Promise<unknown>;
  let client: Awaited<ReturnType<typeof sharedEnv>>[0]['client'];
  const today = new Date().toISOString().slice(0, 10);
  const cases: Record<'matched' | 'erp' | 'sf' | 'pay' | 'amt', PickedCase> = {} as never;
  const refundIds: Record<string, string> = {};
  const memoIds: Record<string, string> = {};

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    const [env, workflowBundle] = await sharedEnv();
    client = env.client;
    sandbox = await startTestSandbox();
    const queueEnv = isolatedQueueEnv('recon');
    config = configFor(sandbox, queueEnv);
    activities = buildActivities(config);
    workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities });
    running = Promise.all(workers.map((w) => w.run()));
    cliEnv = { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default', ...queueEnv };

    const used = new Set<string>();
    for (const name of ['matched', 'erp', 'sf', 'pay', 'amt'] as const) {
      cases[name] = pickCase(sandbox, (order, world) => !used.has(order.orderNumber) && paidByCard(order, world) && order.total >= 1000);
      used.add(cases[name].order.orderNumber);
    }
    await seedMismatches();
  });
  after(async () => {
    shutdownWorkers(workers);
    await running;
    await activities?.close();
    await sandbox?.close();
  });
  let cliEnv: Record<string, string>;

  /** One per class: a real refund (matched), then each broken on one side through the systems' own APIs. */
  async function seedMismatches(): Promise<void> {
    const m = cases.matched;
    const handle = await client.workflow.start<typeof refund>('refund', {
      taskQueue: config.taskQueues.orchestration,
      workflowId: uniqueName(`refund/${m.ctx.caseNumber}`),
      args: [refundInput(m.ctx, false, { policy: noApproval, taskQueues: systemQueuesOf(config) })],
    });
    const matched = await handle.result();
    assert.equal(matched.status, 'refunded');
    refundIds.matched = matched.refundId!;

    const payments = createPaymentsConnector(config);
    const erp = createErpConnector(config);
    const sf = createSalesforceConnector(config);
    try {
      const money = (c: PickedCase, amount = 500) => ({ amount, currency: c.order.currency });
      const payOut = async (name: string, c: PickedCase, metadata: Record<string, string> = {}) => {
        const r = await payments.createRefund(c.order.paymentId!, money(c), 'requested_by_customer', `test:${name}:${c.ctx.caseNumber}`, { caseNumber: c.ctx.caseNumber, orderNumber: c.order.orderNumber, workflowId: `refund/${c.ctx.caseNumber}`, ...metadata });
        refundIds[name] = r.refundId;
        return r.refundId;
      };
      const credit = async (name: string, c: PickedCase) => {
        const drafted = await erp.draftCreditMemo({ customerId: c.order.customerId, orderNumber: c.order.orderNumber, amount: money(c), reason: 'refund: test', businessDate: today, reference: c.ctx.caseNumber }, `test:memo:${name}`);
        await erp.postCreditMemo(drafted.creditMemoId, `test:post:${name}`);
        memoIds[name] = drafted.creditMemoId;
        return drafted.creditMemoId;
      };
      const book = (c: PickedCase, fields: { refundId?: string; creditMemoId?: string; amount?: number }) =>
        sf.upsertAdjustment({ externalId: idempotencyKey(`refund/${c.ctx.caseNumber}`, 'adjustment'), caseId: c.ctx.caseId, orderNumber: c.order.orderNumber, amount: money(c, fields.amount), type: 'refund', status: 'posted', businessDate: today, refundId: fields.refundId, creditMemoId: fields.creditMemoId });

      // missing-in-erp: money left and Salesforce knows, the memo was never drafted.
      await book(cases.erp, { refundId: await payOut('erp', cases.erp) });
      // missing-in-salesforce: money left and the ERP credited, no adjustment.
      await payOut('sf', cases.sf, { creditMemoId: await credit('sf', cases.sf) });
      // missing-at-payment-provider: the adjustment and the memo, but no money ever left.
      await book(cases.pay, { creditMemoId: await credit('pay', cases.pay) });
      // amount-mismatch: all three, Salesforce says 7.00 where the others say 5.00.
      const amtMemo = await credit('amt', cases.amt);
      await book(cases.amt, { refundId: await payOut('amt', cases.amt, { creditMemoId: amtMemo }), creditMemoId: amtMemo, amount: 700 });
    } finally {
      payments.shutdown();
      erp.shutdown();
      sf.shutdown();
    }
  }

  async function reconcileToday(policy?: ReconciliationPolicyInput): Promise<ReconciliationReport> {
    const started = await startReconciliation(client, config, today, policy);
    assert.equal(started.existing, false);
    const result: ReconciliationResult = await client.workflow.getHandle(started.workflowId).result();
    assert.ok('totals' in result);
    return result;
  }
  const byClass = (report: ReconciliationReport, cls: Mismatch['class']) => report.mismatches.filter((m) => m.class === cls);
  const ledgers = async () => ({
    drafted: (await effects(sandbox.urls.erpLegacy, 'creditMemo.drafted')).length,
    tasks: (await effects(sandbox.urls.salesforce, 'Task.created')).length,
    adjustments: (await effects(sandbox.urls.salesforce, 'Customer_Adjustment__c.created')).length,
    refunds: (await effects(sandbox.urls.payments, 'refund.created')).length,
  });

  it('finds each class exactly, repairs only the allowed ones, escalates the rest; re-runs find nothing new and repair nothing', async () => {
    const first = await reconcileToday({ repair: ['missing-in-salesforce'] });
    assert.equal(first.workflowId, reconciliationWorkflowId(today));
    assert.deepEqual(first.counts, { matched: 1, 'missing-in-erp': 1, 'missing-at-payment-provider': 1, 'missing-in-salesforce': 1, 'amount-mismatch': 1 });
    const [erp] = byClass(first, 'missing-in-erp');
    const [sf] = byClass(first, 'missing-in-salesforce');
    const [pay] = byClass(first, 'missing-at-payment-provider');
    const [amt] = byClass(first, 'amount-mismatch');
    assert.deepEqual([erp.refundId, erp.orderNumber, erp.creditMemoId], [refundIds.erp, cases.erp.order.orderNumber, undefined]);
    assert.deepEqual([sf.refundId, sf.creditMemoId, sf.externalId], [refundIds.sf, memoIds.sf, idempotencyKey(`refund/${cases.sf.ctx.caseNumber}`, 'adjustment')]);
    assert.deepEqual([pay.refundId, pay.creditMemoId, pay.amounts.payments], [undefined, memoIds.pay, undefined]);
    assert.deepEqual([amt.amounts.salesforce?.amount, amt.amounts.erp?.amount, amt.amounts.payments?.amount], [700, 500, 500]);
    // Policy allowed only missing-in-salesforce: that one is repaired, the missing memo is escalated, not drafted.
    assert.deepEqual(sf.action, 'repaired');
    assert.deepEqual(sf.repairs.map((r) => r.step), ['adjustment-upserted']);
    for (const m of [erp, pay, amt]) {
      assert.equal(m.action, 'exception', m.key);
      assert.deepEqual(m.repairs, []);
      assert.equal(m.exception?.created, true);
    }
    assert.equal(pay.exception?.caseId, cases.pay.ctx.caseId);
    assert.deepEqual(first.summary, { mismatches: 4, repaired: 1, exceptionsOpened: 3, exceptionsAlreadyOpen: 0, unassigned: 0, pending: 0 });

    const second = await reconcileToday();
    assert.deepEqual(second.counts, { matched: 2, 'missing-in-erp': 1, 'missing-at-payment-provider': 1, 'missing-in-salesforce': 0, 'amount-mismatch': 1 });
    const [erp2] = byClass(second, 'missing-in-erp');
    assert.equal(erp2.action, 'repaired');
    assert.deepEqual(erp2.repairs.map((r) => r.step), ['credit-memo-drafted', 'credit-memo-posted', 'adjustment-upserted']);
    assert.deepEqual(second.summary, { mismatches: 3, repaired: 1, exceptionsOpened: 0, exceptionsAlreadyOpen: 2, unassigned: 0, pending: 0 });

    const before = await ledgers();
    const third = await reconcileToday();
    assert.deepEqual(third.counts, { matched: 3, 'missing-in-erp': 0, 'missing-at-payment-provider': 1, 'missing-in-salesforce': 0, 'amount-mismatch': 1 });
    assert.deepEqual(third.summary, { mismatches: 2, repaired: 0, exceptionsOpened: 0, exceptionsAlreadyOpen: 2, unassigned: 0, pending: 0 });
    assert.deepEqual(await ledgers(), before, 'the third run drafted, opened, booked and refunded nothing');
    assert.equal(before.refunds, 4, 'reconciliation never refunds');
  });

  it('serves the report by query, GET /v1/reconciliations/{date} (JSON and CSV) and retailctl reconcile show', async () => {
    const report = await readReconciliationReport(client, today);
    assert.equal(report.status, 'completed');

    const app = await buildApp({ client, config, api: apiConfig({ keys: testKeys as never }) });
    try {
      const headers = { [API_KEY_HEADER]: keys.reader };
      const json = await app.inject({ method: 'GET', url: `/v1/reconciliations/${today}`, headers });
      assert.equal(json.statusCode, 200, json.body);
      assert.deepEqual(json.json().counts, report.counts);
      assert.deepEqual(json.json().mismatches, report.mismatches);
      const csv = await app.inject({ method: 'GET', url: `/v1/reconciliations/${today}/report.csv`, headers: { ...headers, accept: 'text/csv' } });
      assert.equal(csv.statusCode, 200);
      assert.match(String(csv.headers['content-type']), /^text\/csv/);
      // As declared in the spec for External Services: text/plain unless text/csv is asked for.
      const text = await app.inject({ method: 'GET', url: `/v1/reconciliations/${today}/report.csv`, headers });
      assert.deepEqual([String(text.headers['content-type']).split(';')[0], text.body], ['text/plain', csv.body]);
      assert.equal(csv.body.trimEnd().split('\r\n').length, 1 + report.mismatches.length);
      const none = await app.inject({ method: 'GET', url: '/v1/reconciliations/1999-01-01', headers });
      assert.equal(none.statusCode, 404);
    } finally {
      await app.close();
    }

    const shown = await runCli(['reconcile', 'show', today, '--json'], cliEnv);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(jsonOf<ReconciliationReport>(shown).counts, report.counts);
    const rows = await runCli(['reconcile', 'show', today, '--csv'], cliEnv);
    assert.equal(rows.code, 0, rows.stderr);
    assert.equal(rows.stdout.trimEnd().split('\r\n').length, 1 + report.mismatches.length);
    const missing = await runCli(['reconcile', 'show', '1999-01-01'], cliEnv);
    assert.equal(missing.code, 3);
  });

  it('the Schedule exists after ensureReconciliationSchedule (idempotent) and a trigger reconciles the day before', async () => {
    const scheduleId = uniqueName('reconciliation-daily');
    assert.deepEqual(await ensureReconciliationSchedule(client, config, { scheduleId }), { scheduleId, created: true });
    assert.deepEqual(await ensureReconciliationSchedule(client, config, { scheduleId }), { scheduleId, created: false });
    const handle = client.schedule.getHandle(scheduleId);
    try {
      const described = await handle.describe();
      assert.equal(described.action.type === 'startWorkflow' && described.action.workflowType, 'reconciliation');
      assert.equal(described.action.type === 'startWorkflow' && described.action.taskQueue, config.taskQueues.orchestration);
      await handle.trigger();
      const yesterday = previousBusinessDate(new Date());
      const day = client.workflow.getHandle(reconciliationWorkflowId(yesterday));
      const deadline = Date.now() + 30_000;
      while ((await day.describe().catch(() => undefined))?.status.name !== 'COMPLETED') {
        assert.ok(Date.now() < deadline, 'the triggered run reconciled yesterday');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      // The sandbox seeds adjustments 1–3 days back with nothing matching: yesterday's are all mismatches.
      const report = await readReconciliationReport(client, yesterday);
      assert.ok(report.totals.adjustments > 0);
      assert.equal(report.counts.matched, 0);
      assert.equal(report.summary.mismatches, report.totals.adjustments);
      assert.equal(report.summary.repaired, 0, 'nothing to repair without a payment refund');
    } finally {
      await handle.delete();
    }
  });

  it('catch-up runs reconcile the day of their scheduled time, concurrently (overlap ALLOW_ALL, one workflow per day)', async () => {
    const scheduleId = uniqueName('reconciliation-catch-up');
    const dayMs = 86_400_000;
    const midnight = Date.parse(`${today}T00:00:00.000Z`);
    // A schedule made by an older starter with SKIP: ensure brings its policy up to date.
    await client.schedule.create({
      scheduleId,
      spec: { cronExpressions: ['30 2 * * *'] },
      action: { type: 'startWorkflow', workflowType: 'reconciliation', workflowId: uniqueName('reconciliation/scheduled'), taskQueue: config.taskQueues.orchestration, args: [{}] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      state: { paused: true },
    });
    const handle = client.schedule.getHandle(scheduleId);
    try {
      assert.deepEqual(await ensureReconciliationSchedule(client, config, { scheduleId }), { scheduleId, created: false });
      assert.equal((await handle.describe()).policies.overlap, ScheduleOverlapPolicy.ALLOW_ALL);
      // Three missed runs, due 6, 5 and 4 days ago at 02:30: each reconciles the day before it was due.
      const dueDays = [6, 5, 4].map((n) => midnight - n * dayMs);
      await handle.backfill({ start: new Date(dueDays[0]), end: new Date(dueDays[2] + 3 * 3_600_000), overlap: ScheduleOverlapPolicy.ALLOW_ALL });
      const expected = dueDays.map((due) => new Date(due - dayMs).toISOString().slice(0, 10));
      const deadline = Date.now() + 60_000;
      for (const date of expected) {
        const day = client.workflow.getHandle(reconciliationWorkflowId(date));
        while ((await day.describe().catch(() => undefined))?.status.name !== 'COMPLETED') {
          assert.ok(Date.now() < deadline, `the catch-up run due the day after ${date} reconciled ${date}`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        assert.equal((await readReconciliationReport(client, date)).businessDate, date);
      }
      // Nothing reconciled the wall clock's yesterday on their behalf.
      let runs = 0;
      for await (const _run of client.workflow.list({ query: `WorkflowType = 'reconciliation' AND TemporalScheduledById = '${scheduleId}'` })) runs += 1;
      assert.equal(runs, 3, 'one scheduled run per missed time');
    } finally {
      await handle.delete();
    }
  });

  it('pages a large day with continue-as-new, carrying the running report', async () => {
    const yesterday = previousBusinessDate(new Date());
    const started = await startReconciliation(client, config, yesterday, { pageSize: 1, pagesPerRun: 1 });
    const report = await client.workflow.getHandle(started.workflowId).result();
    assert.ok('totals' in report);
    assert.ok(report.summary.mismatches > 1);
    assert.equal(report.pages, report.summary.mismatches, 'one mismatch per page');
    assert.equal(report.runs, report.pages, 'a new run per page');
    assert.equal(report.summary.pending, 0);
    assert.equal(report.summary.exceptionsOpened, 0, 'the scheduled run of the day opened them already');
  });
});
