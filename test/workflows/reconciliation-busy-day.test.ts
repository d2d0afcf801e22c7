import assert from 'node:assert/strict';
import type { Worker } from '@temporalio/worker';
import type { Sandbox } from '../../sandbox';
import type { LegacyErpState } from '../../sandbox/systems/erp-legacy/state';
import type { PaymentsState } from '../../sandbox/systems/payments/state';
import { makeId } from '../../sandbox/systems/salesforce/ids';
import type { SalesforceState } from '../../sandbox/systems/salesforce/state';
import { buildActivities, type SystemActivities } from '../../src/activities';
import { startReconciliation } from '../../src/client/reconciliation';
import type { Config } from '../../src/config';
import { createWorkers, shutdownWorkers } from '../../src/workers/workers';
import type { ReconciliationResult } from '../../src/workflows/reconciliation';
import { configFor, startTestSandbox } from '../helpers/sandbox';
import { isolatedQueueEnv, testEnvTimeoutMs } from '../helpers/temporal';
import { sharedEnv } from './refund-harness';

const RECORDS = 50_000;
/** Adjustments whose payment refund is taken away: the mismatches the run must find among 50,000 matches. */
const WITHOUT_REFUND = 12;

/**
 * A business day of 50,000 records per system (Salesforce adjustments, legacy ERP credit memos, payment
 * refunds, all joined), reconciled through the real systems' paging: the workflow's history never holds
 * the day's records, only counts, a page of mismatches and the key after which the next run reads.
 */
describe('reconciliation of a busy day (50,000 records per system)', function () {
  this.timeout(240_000);
  let sandbox: Sandbox;
  let config: Config;
  let activities: SystemActivities;
  let workers: Worker[] = [];
  let running: Promise<unknown>;
  let client: Awaited<ReturnType<typeof sharedEnv>>[0]['client'];
  // Far enough back that the seeded world has nothing on it.
  const businessDate = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);

  before(async function () {
    this.timeout(testEnvTimeoutMs + 120_000);
    const [env, workflowBundle] = await sharedEnv();
    client = env.client;
    sandbox = await startTestSandbox();
    config = configFor(sandbox, isolatedQueueEnv('busy-day'));
    activities = buildActivities(config);
    workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities });
    running = Promise.all(workers.map((w) => w.run()));
    await seedBusyDay();
  });
  after(async () => {
    shutdownWorkers(workers);
    await running;
    await activities?.close();
    await sandbox?.close();
  });

  /** Adjustment n ↔ credit memo CMB{n} ↔ refund re_busy_{n}, each written the way its system stores it. */
  async function seedBusyDay(): Promise<void> {
    // Written straight into each system's store (the seed route's per-record checks make 50,000 creates quadratic).
    const salesforce = sandbox.systems.salesforce!.ctx.store as unknown as { data: SalesforceState; changed: () => void };
    const adjustments = (salesforce.data.records.Customer_Adjustment__c ??= {});
    const legacy = sandbox.systems.erpLegacy!.ctx.store as unknown as { data: LegacyErpState; changed: () => void };
    const payments = sandbox.systems.payments!.ctx.store as unknown as { data: PaymentsState; changed: () => void };
    const busDate = businessDate.replace(/-/g, '');
    const noon = Math.floor(Date.parse(`${businessDate}T12:00:00Z`) / 1000);
    const now = new Date().toISOString().replace('Z', '+0000');
    for (let n = 1; n <= RECORDS; n++) {
      const id = makeId('a0B', 5_000_000 + n);
      adjustments[id] = {
        Id: id, CreatedDate: now, LastModifiedDate: now, SystemModstamp: now, IsDeleted: false, Name: `ADJ-B${n}`,
        External_Id__c: `busy:${n}`, Order_Number__c: `SO-BUSY-${n}`, Amount__c: 10, CurrencyIsoCode: 'USD', Type__c: 'Refund', Status__c: 'Posted', Business_Date__c: businessDate, Refund_Id__c: `re_busy_${n}`, Credit_Memo_Id__c: `legacy:CMB${n}`,
      };
      legacy.data.creditMemos[`CMB${n}`] = { CM_NO: `CMB${n}`, CUST_NO: 'CUST-BUSY', ORD_REF: `SO-BUSY-${n}`, AMT: '10.00', CURR: 'USD', STAT: 'P', BUS_DATE: busDate, RSN: 'refund: busy day', CRT_TS: `${busDate}120000` };
      if (n <= WITHOUT_REFUND) continue;
      const seq = ++payments.data.refundSeq;
      payments.data.refunds[`re_busy_${n}`] = { id: `re_busy_${n}`, seq, amount: 1000, currency: 'usd', paymentIntent: 'pi_busy', charge: 'ch_busy', status: 'succeeded', reason: 'requested_by_customer', created: noon + (n % 3600), metadata: { orderNumber: `SO-BUSY-${n}`, creditMemoId: `legacy:CMB${n}` } };
    }
    salesforce.changed();
    legacy.changed();
    payments.changed();
  }

  it('reconciles the day: counts all 150,000 records, settles the mismatches page by page, and no history event comes near 2 MB', async () => {
    const began = Date.now();
    // One read of the day, the 12 mismatches settled in pages of 5.
    const started = await startReconciliation(client, config, businessDate, { pageSize: 5 });
    const handle = client.workflow.getHandle(started.workflowId);
    const report: ReconciliationResult = await handle.result();
    assert.ok('totals' in report);
    assert.deepEqual(report.totals, { adjustments: RECORDS, creditMemos: RECORDS, refunds: RECORDS - WITHOUT_REFUND });
    assert.deepEqual(report.counts, { matched: RECORDS - WITHOUT_REFUND, 'missing-in-erp': 0, 'missing-at-payment-provider': WITHOUT_REFUND, 'missing-in-salesforce': 0, 'amount-mismatch': 0 });
    const keys = report.mismatches.map((m) => m.key);
    assert.deepEqual(keys, Array.from({ length: WITHOUT_REFUND }, (_, i) => `adjustment:busy:${i + 1}`).sort(), 'each mismatch once, in key order');
    assert.ok(report.mismatches.every((m) => m.action === 'unassigned'), 'no Case to open an exception on');
    assert.deepEqual([report.pages, report.runs], [3, 1]);

    // The day's 150,000 records never entered the history: its largest event is a page of mismatches.
    const events = (await handle.fetchHistory()).events ?? [];
    const largest = Math.max(...events.map((e) => JSON.stringify(e).length));
    assert.ok(largest < 100_000, `largest history event: ${largest} bytes`);
    console.log(`busy day: ${RECORDS} records per system reconciled in ${Date.now() - began} ms; largest history event ${largest} bytes`);
  });
});
