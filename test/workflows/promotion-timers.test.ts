import assert from 'node:assert/strict';
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { configFromEnv } from '../../src/config';
import type { ListPrice, Promotion } from '../../src/domain/pricing';
import { createWorkers } from '../../src/workers/workers';
import { promotionWorkflowId, type promotion } from '../../src/workflows/promotion';
import { testCodecEnv } from '../helpers/codec';
import { getWorkflowBundle, isolatedQueueEnv, runWorkersUntil, uniqueName } from '../helpers/temporal';
import { getTimeSkippingEnv, teardownTimeSkippingEnv, timeSkippingEnvTimeoutMs } from '../helpers/time-skipping';
import { systemQueuesOf } from '../workers/fake-activities';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * A promotion's waits at production length (days ahead, the default 1-minute-to-15-minute re-checks)
 * on the time-skipping test server with stand-in ERP and Salesforce: when it goes live and off in
 * workflow time, and how often a held one asks the ERP. The sandbox tests (pricing.test.ts) prove the
 * same rules against the systems with short real waits.
 */
describe('promotion timers (time-skipping server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;

  before(async function () {
    this.timeout(timeSkippingEnvTimeoutMs);
    [env, workflowBundle] = await Promise.all([getTimeSkippingEnv(), getWorkflowBundle()]);
  });
  after(() => teardownTimeSkippingEnv());

  /** Stand-in systems; each call is recorded with the workflow time it was scheduled at. */
  function world(promo: Promotion, stockFrom: number) {
    const calls: { name: string; at: number; runId: string; args: unknown[] }[] = [];
    const record = (name: string, args: unknown[]) => {
      const { currentAttemptScheduledTimestampMs: at, workflowExecution } = Context.current().info;
      calls.push({ name, at, runId: workflowExecution?.runId ?? '', args });
      return at;
    };
    const price = (sku: string): ListPrice => ({ listId: 'LIST-STD-USD', sku, unitPrice: { amount: 2000, currency: 'USD' }, effectiveFrom: new Date(0).toISOString(), version: 1 });
    const activities = {
      erp: {
        getErpPromotion: async (id: string) => (record('getErpPromotion', [id]), promo),
        getErpDefaultPrices: async (skus: string[]) => (record('getErpDefaultPrices', [skus]), skus.map(price)),
        getStockAvailability: async (skus: string[]) => {
          const at = record('getStockAvailability', [skus]);
          return skus.map((sku) => ({ sku, warehouseId: 'WH-1', onHand: 5, reserved: 0, available: at >= stockFrom ? 5 : 0 }));
        },
      },
      salesforce: {
        upsertSalesforcePromotionPriceBook: async (book: { status: string; active: boolean }) => (record('book', [book]), { id: '01s000000000001', created: false }),
        upsertSalesforcePriceEntries: async (entries: { key: string }[]) => (record('entries', [entries]), { writtenAt: new Date().toISOString(), results: entries.map((e) => ({ key: e.key, ok: true })) }),
      },
      // Unused by a promotion; a worker needs at least one activity to serve its queue.
      warehouse: { getShipmentsForOrder: async () => [] },
      payments: { getPayment: async (paymentId: string) => ({ paymentId }) },
      orchestration: {},
    };
    const books = () => calls.filter((c) => c.name === 'book').map((c) => ({ at: c.at, ...(c.args[0] as { status: string; active: boolean }) }));
    return { activities, calls, books };
  }

  async function run(promo: Promotion, stockFrom: number, settings?: { maxHistoryEvents: number }) {
    const config = configFromEnv({ ...testCodecEnv, ...isolatedQueueEnv('promo-timers'), LOG_LEVEL: 'warn' });
    const fake = world(promo, stockFrom);
    const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities: fake.activities });
    const workflowId = uniqueName(promotionWorkflowId(promo.promotionId));
    const result = await runWorkersUntil(workers, () =>
      env.client.workflow.execute<typeof promotion>('promotion', { taskQueue: config.taskQueues.orchestration, workflowId, args: [{ promotionId: promo.promotionId, settings, taskQueues: systemQueuesOf(config) }] }),
    );
    return { result, workflowId, ...fake };
  }

  const promotionFrom = async (startInMs: number, lengthMs: number): Promise<Promotion> => {
    const now = await env.currentTimeMs();
    return { promotionId: 'PROMO-DAYS', name: 'Days ahead', skus: ['SKU-1'], currency: 'USD', percentOff: 10, startAt: new Date(now + startInMs).toISOString(), endAt: new Date(now + startInMs + lengthMs).toISOString(), status: 'active', version: 1 };
  };

  it('waits three days inactive, goes live at the start, and off at the end a week later', async () => {
    const promo = await promotionFrom(3 * DAY, 7 * DAY);
    const { result, books, calls } = await run(promo, 0);
    assert.equal(result.phase, 'ended');
    const [scheduled, live, ended] = books();
    assert.deepEqual([scheduled.status, scheduled.active], ['Scheduled', false]);
    assert.deepEqual([live.status, live.active], ['Live', true]);
    assert.ok(live.at >= Date.parse(promo.startAt) && live.at < Date.parse(promo.startAt) + 60_000, 'live at its start');
    assert.deepEqual([ended.status, ended.active], ['Ended', false]);
    assert.ok(ended.at >= Date.parse(promo.endAt), 'off at its end');
    assert.equal(calls.filter((c) => c.name === 'getErpDefaultPrices').length, 1, 'one check when everything is in place');
  });

  it('holds a promotion without stock for a day, re-checking with a bounded backoff, and never goes live before the stock', async () => {
    const promo = await promotionFrom(DAY, 5 * DAY);
    const stockFrom = Date.parse(promo.startAt) + DAY;
    const { result, books, calls } = await run(promo, stockFrom);
    assert.equal(result.phase, 'ended');
    const live = books().find((b) => b.status === 'Live')!;
    assert.ok(live.at >= stockFrom, 'not live before the stock is there');
    assert.ok(live.at <= stockFrom + 15 * 60_000 + 60_000, 'live within one re-check (15 min at most) of it');
    const checks = calls.filter((c) => c.name === 'getStockAvailability').length;
    // 1, 2, 4 ... 15 minutes: a day held is about a hundred checks, not one a second.
    assert.ok(checks > 50 && checks < 130, `${checks} checks in a day held`);
    assert.ok(books().some((b) => b.status === 'Scheduled' && !b.active && b.at >= Date.parse(promo.startAt)), 'held is shown inactive');
  });

  it('continues as new while held for days, keeping what Salesforce shows, and still goes live then off', async () => {
    const promo = await promotionFrom(DAY, 5 * DAY);
    const stockFrom = Date.parse(promo.startAt) + 2 * DAY;
    const { result, books, calls } = await run(promo, stockFrom, { maxHistoryEvents: 300 });
    assert.equal(result.phase, 'ended');
    const runs = new Set(calls.map((c) => c.runId)).size;
    assert.ok(runs > 2, `${runs} runs: continued as new while held`);
    // One Scheduled book at creation and one when it was held: a continued run writes no book of its own.
    assert.deepEqual(books().map((b) => b.status), ['Scheduled', 'Scheduled', 'Live', 'Ended']);
    assert.ok(books()[2].at >= stockFrom, 'not live before the stock is there');
    const off = calls.filter((c) => c.name === 'entries').at(-1)!.args[0] as { active: boolean }[];
    assert.deepEqual(off.map((e) => e.active), [false], 'the promotional entry switched off at the end');
  });
});
