import assert from 'node:assert/strict';
import type { Sandbox } from '../../sandbox';
import { createErpConnector, type ErpConnector } from '../../src/connectors/erp';
import type { DownstreamError } from '../../src/domain/errors';
import { money } from '../../src/domain/money';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';
import { failure } from '../helpers/failures';

const retryAfterOf = (err: DownstreamError) => ('retryAfterMs' in err ? err.retryAfterMs : undefined);

describe('connector: ERP idempotency, fault classification, lifecycle and paging', () => {
  let sandbox: Sandbox;
  let cloudAdmin: ReturnType<typeof admin>;
  let legacyAdmin: ReturnType<typeof admin>;
  let erp: ErpConnector;
  let cloudErp: ErpConnector;

  before(async () => {
    sandbox = await startTestSandbox(['erpCloud', 'erpLegacy']);
    cloudAdmin = admin(sandbox.urls.erpCloud!);
    legacyAdmin = admin(sandbox.urls.erpLegacy!);
  });
  after(() => sandbox.close());
  // A fresh connector per test, so one test's failures never open the breaker for the next.
  beforeEach(() => {
    erp = createErpConnector(configFor(sandbox), { pageSize: 2 });
    cloudErp = createErpConnector(configFor(sandbox, { ERP_ROUTING: 'creditMemos=cloud,ledger=cloud' }), { pageSize: 2 });
  });
  afterEach(async () => {
    erp.shutdown();
    cloudErp.shutdown();
    await cloudAdmin.clearFaults();
    await legacyAdmin.clearFaults();
  });

  describe('idempotency', () => {
    it('makes one reservation for the same key twice and rejects the key with other parameters (cloud 409)', async () => {
      const request = { warehouseId: 'DC-02', lines: [{ sku: 'SKU-00002', quantity: 1 }], caseNumber: '00010001' };
      const first = await erp.reserveStock(request, 'replacement/case-9:reserveStock');
      const second = await erp.reserveStock(request, 'replacement/case-9:reserveStock');
      assert.equal(second.reservationId, first.reservationId);
      assert.equal((await cloudAdmin.ledger({ kind: 'reservation.created', key: 'replacement/case-9:reserveStock' })).count, 1);
      const conflict = await failure(erp.reserveStock({ ...request, lines: [{ sku: 'SKU-00002', quantity: 2 }] }, 'replacement/case-9:reserveStock'));
      assert.equal(conflict.type, 'IdempotencyConflictError');
      assert.equal(conflict.retryable, false);
    });

    it('drafts one legacy memo for the same key twice and faults on the key with other parameters (legacy RequestId)', async () => {
      const request = { customerId: 'C-000010', orderNumber: 'SO-100010', amount: money(1234, 'USD'), reason: 'late', businessDate: '2031-04-01' };
      const first = await erp.draftCreditMemo(request, 'refund/case-10:draftCreditMemo');
      const second = await erp.draftCreditMemo(request, 'refund/case-10:draftCreditMemo');
      assert.equal(second.creditMemoId, first.creditMemoId);
      assert.equal((await legacyAdmin.ledger({ kind: 'creditMemo.drafted', key: 'refund/case-10:draftCreditMemo' })).count, 1);
      const conflict = await failure(erp.draftCreditMemo({ ...request, amount: money(1299, 'USD') }, 'refund/case-10:draftCreditMemo'));
      assert.equal(conflict.type, 'IdempotencyConflictError');
      assert.equal(conflict.code, 'IDEM-409');
    });
  });

  describe('classification', () => {
    it('429 with Retry-After → RateLimitedError carrying the delay', async () => {
      await cloudAdmin.fault({ kind: 'rate-limit', path: '/api/v2/orders', retryAfterSeconds: 7, count: 1 });
      const err = await failure(erp.getOrder('SO-100001'));
      assert.deepEqual([err.type, err.retryable, retryAfterOf(err)], ['RateLimitedError', true, 7000]);
    });

    it('503 outage → DownstreamUnavailableError, with Retry-After when the system sends one', async () => {
      await cloudAdmin.fault({ kind: 'outage', path: '/api/v2/prices', durationMs: 5000, retryAfterSeconds: 2 });
      const err = await failure(erp.getPrices(['SKU-00001']));
      assert.deepEqual([err.type, err.status, err.retryable, retryAfterOf(err)], ['DownstreamUnavailableError', 503, true, 2000]);
    });

    it('a reset connection → retryable DownstreamUnavailableError', async () => {
      await cloudAdmin.fault({ kind: 'reset', path: '/api/v2/inventory', count: 1 });
      const err = await failure(erp.getAvailability(['SKU-00001']));
      assert.deepEqual([err.type, err.retryable], ['DownstreamUnavailableError', true]);
    });

    it('legacy SYS-LOCK (HTTP 500) is retryable, VAL-001 (also HTTP 500) is not', async () => {
      await legacyAdmin.fault({ kind: 'error', status: 500, errorCode: 'SYS-LOCK', path: '/legacy/finance/CreditMemoService', count: 1 });
      const locked = await failure(erp.getCreditMemo('legacy:CM700001'));
      assert.deepEqual([locked.type, locked.retryable, locked.code, retryAfterOf(locked)], ['DownstreamUnavailableError', true, 'SYS-LOCK', 2000]);

      const invalid = await failure(erp.draftCreditMemo({ customerId: 'C-1', orderNumber: 'SO-1', amount: money(0, 'USD'), reason: 'x' }, 'refund/case-11:draftCreditMemo'));
      assert.deepEqual([invalid.type, invalid.retryable, invalid.code, invalid.status], ['ValidationError', false, 'VAL-001', 500]);
    });

    it('a 429 from the legacy gateway is classified by status, not fault code', async () => {
      await legacyAdmin.fault({ kind: 'rate-limit', path: '/legacy/finance/LedgerService', retryAfterSeconds: 4, count: 1 });
      const err = await failure(erp.listLedgerEntries('2031-04-02'));
      assert.deepEqual([err.type, err.system, retryAfterOf(err)], ['RateLimitedError', 'erp-legacy', 4000]);
    });

    it('unknown records → NotFoundError in both ERPs', async () => {
      assert.equal((await failure(erp.getOrder('SO-999999'))).type, 'NotFoundError');
      const legacy = await failure(erp.getCreditMemo('legacy:CM100'));
      assert.deepEqual([legacy.type, legacy.code], ['NotFoundError', 'NF-404']);
    });

    it('reserving beyond available stock → BusinessRejectionError INSUFFICIENT_STOCK', async () => {
      const sold = sandbox.world().stock.find((s) => s.onHand === 0)!;
      const err = await failure(erp.reserveStock({ warehouseId: sold.warehouseId, lines: [{ sku: sold.sku, quantity: 1 }] }, 'replacement/case-12:reserveStock'));
      assert.deepEqual([err.type, err.code, err.retryable], ['BusinessRejectionError', 'INSUFFICIENT_STOCK', false]);
    });

    it('wrong credentials → AuthorizationError for both ERPs', async () => {
      const bad = createErpConnector(configFor(sandbox, { ERP_CLOUD_API_KEY: 'nope', ERP_LEGACY_PASSWORD: 'nope' }));
      try {
        assert.equal((await failure(bad.getOrder('SO-100001'))).type, 'AuthorizationError');
        assert.equal((await failure(bad.listCreditMemos('2031-04-03'))).type, 'AuthorizationError');
      } finally {
        bad.shutdown();
      }
    });
  });

  describe('credit memo lifecycle', () => {
    for (const [label, routing] of [['legacy', 'default'], ['cloud', 'cloud']] as const) {
      it(`draft → post → void in the ${label} ERP, and posting a void memo is a BusinessRejectionError`, async () => {
        const connector = routing === 'cloud' ? cloudErp : erp;
        const key = (step: string) => `refund/lifecycle-${label}:${step}`;
        const draft = await connector.draftCreditMemo({ customerId: 'C-000020', orderNumber: 'SO-100020', amount: money(4550, 'EUR'), reason: 'damaged', businessDate: '2031-05-01' }, key('draft'));
        assert.deepEqual([draft.system, draft.status], [label, 'draft']);
        assert.equal((await connector.postCreditMemo(draft.creditMemoId, key('post'))).status, 'posted');
        assert.equal((await connector.postCreditMemo(draft.creditMemoId, key('post-again'))).status, 'posted');
        assert.equal((await connector.voidCreditMemo(draft.creditMemoId, key('void'))).status, 'void');
        const illegal = await failure(connector.postCreditMemo(draft.creditMemoId, key('post-after-void')));
        assert.equal(illegal.type, 'BusinessRejectionError');
        assert.equal((await connector.getCreditMemo(draft.creditMemoId)).status, 'void');
        const ledger = await admin(label === 'cloud' ? sandbox.urls.erpCloud! : sandbox.urls.erpLegacy!).ledger({ ref: draft.number });
        assert.deepEqual(ledger.entries.map((e) => e.kind), ['creditMemo.drafted', 'creditMemo.posted', 'creditMemo.voided']);
      });
    }
  });

  describe('paging', () => {
    it('fetches every page of credit memos in both ERPs', async () => {
      for (const [connector, url] of [[erp, sandbox.urls.erpLegacy!], [cloudErp, sandbox.urls.erpCloud!]] as const) {
        for (let i = 1; i <= 5; i++) {
          await connector.draftCreditMemo({ customerId: 'C-000030', orderNumber: 'SO-100030', amount: money(i * 100, 'GBP'), reason: 'goodwill', businessDate: '2031-06-01' }, `paging-${url}-${i}`);
        }
        const since = await admin(url).mark();
        const memos = await connector.listCreditMemos('2031-06-01');
        assert.deepEqual(memos.map((m) => m.amount.amount).sort((a, b) => a - b), [100, 200, 300, 400, 500]);
        assert.equal((await admin(url).requests(since)).count, 3, 'pageSize 2 → three requests');
      }
    });

    it('pages changed orders with the cursor the ERP returns', async () => {
      const since = new Date(Date.parse(sandbox.world().baseDate) - 3 * 86_400_000).toISOString();
      const expected = sandbox.world().orders.filter((o) => o.placedAt >= since).length;
      const seen = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await erp.listChangedOrders({ changedSince: since, pageSize: 5, cursor });
        page.orders.forEach((o) => seen.add(o.orderNumber));
        cursor = page.nextCursor;
      } while (cursor);
      assert.ok(expected > 5);
      assert.equal(seen.size, expected);
    });
  });
});
