import assert from 'node:assert/strict';
import type { Sandbox } from '../../sandbox';
import { createErpConnector, type ErpConnector } from '../../src/connectors/erp';
import { isDownstreamError } from '../../src/domain/errors';
import { money } from '../../src/domain/money';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';

const memoRequest = (amount: number, businessDate: string) => ({ customerId: 'C-000007', orderNumber: 'SO-100007', amount: money(amount, 'USD'), reason: 'damaged', businessDate, reference: 'CASE-1' });

describe('connector: ERP routing between cloud and legacy', () => {
  let sandbox: Sandbox;
  const open: ErpConnector[] = [];
  const connector = (env: Record<string, string> = {}) => {
    const erp = createErpConnector(configFor(sandbox, env));
    open.push(erp);
    return erp;
  };

  before(async () => {
    sandbox = await startTestSandbox(['erpCloud', 'erpLegacy']);
  });
  after(async () => {
    for (const erp of open) erp.shutdown();
    await sandbox.close();
  });

  it('sends credit memos and the ledger to the legacy ERP by default (creditMemos=legacy)', async () => {
    const erp = connector();
    const memo = await erp.draftCreditMemo(memoRequest(1999, '2031-03-01'), 'refund/case-1:draftCreditMemo');
    assert.equal(memo.system, 'legacy');
    assert.match(memo.creditMemoId, /^legacy:CM\d+$/);
    assert.deepEqual(memo.amount, money(1999, 'USD'));
    const posted = await erp.postCreditMemo(memo.creditMemoId, 'refund/case-1:postCreditMemo');
    assert.equal(posted.status, 'posted');

    assert.equal((await admin(sandbox.urls.erpLegacy!).ledger({ kind: 'creditMemo.posted', ref: memo.number })).count, 1);
    assert.equal((await admin(sandbox.urls.erpCloud!).ledger({ kind: 'creditMemo.drafted' })).count, 0);
    const ledger = await erp.listLedgerEntries('2031-03-01');
    assert.deepEqual(ledger.map((e) => [e.system, e.side, e.amount.amount, e.reference]), [
      ['legacy', 'debit', 1999, memo.number],
      ['legacy', 'credit', 1999, memo.number],
    ]);
    assert.deepEqual((await erp.listCreditMemos('2031-03-01')).map((m) => m.creditMemoId), [memo.creditMemoId]);
  });

  it('sends them to the cloud ERP when routed there (creditMemos=cloud,ledger=cloud)', async () => {
    const erp = connector({ ERP_ROUTING: 'creditMemos=cloud,ledger=cloud' });
    const memo = await erp.draftCreditMemo(memoRequest(2500, '2031-03-02'), 'refund/case-2:draftCreditMemo');
    assert.equal(memo.system, 'cloud');
    assert.match(memo.creditMemoId, /^cloud:CM-\d+$/);
    await erp.postCreditMemo(memo.creditMemoId, 'refund/case-2:postCreditMemo');

    assert.equal((await admin(sandbox.urls.erpCloud!).ledger({ kind: 'creditMemo.posted', ref: memo.number })).count, 1);
    assert.equal((await admin(sandbox.urls.erpLegacy!).ledger({ key: 'refund/case-2:draftCreditMemo' })).count, 0);
    const ledger = await erp.listLedgerEntries('2031-03-02');
    assert.deepEqual(ledger.map((e) => [e.system, e.side, e.amount.amount]), [
      ['cloud', 'debit', 2500],
      ['cloud', 'credit', 2500],
    ]);
  });

  it('posts and voids a memo in the ERP that holds it, even after routing changed', async () => {
    const drafted = await connector().draftCreditMemo(memoRequest(700, '2031-03-03'), 'refund/case-3:draftCreditMemo');
    const voided = await connector({ ERP_ROUTING: 'creditMemos=cloud,ledger=cloud' }).voidCreditMemo(drafted.creditMemoId, 'refund/case-3:voidCreditMemo');
    assert.equal(voided.system, 'legacy');
    assert.equal(voided.status, 'void');
    assert.equal((await admin(sandbox.urls.erpLegacy!).ledger({ kind: 'creditMemo.voided', ref: drafted.number })).count, 1);
  });

  it('refuses at construction to route a capability the legacy ERP does not have', () => {
    assert.throws(
      () => connector({ ERP_ROUTING: 'creditMemos=legacy,reservations=legacy' }),
      (err: unknown) => isDownstreamError(err) && err.type === 'ConfigurationError' && !err.retryable,
    );
  });

  it('reads orders, stock and prices from the cloud ERP in the canonical model', async () => {
    const erp = connector();
    const seeded = sandbox.world().orders[3];
    const order = await erp.getOrder(seeded.orderNumber);
    assert.equal(order.status, seeded.status);
    assert.deepEqual(order.total, money(seeded.total, seeded.currency));
    assert.deepEqual(order.lines.map((l) => [l.sku, l.quantity, l.unitPrice.amount]), seeded.lines.map((l) => [l.sku, l.quantity, l.unitPrice]));
    const sku = seeded.lines[0].sku;
    const stock = await erp.getAvailability([sku], 'DC-01');
    assert.equal(stock.length, 1);
    assert.equal(stock[0].available, stock[0].onHand - stock[0].reserved);
    const [price] = await erp.getPrices([sku]);
    assert.equal(price.unitPrice.amount, sandbox.world().products.find((p) => p.sku === sku)!.unitPrice);
  });
});
