import assert from 'node:assert/strict';
import type { Sandbox } from '../../sandbox';
import { createWarehouseConnector, type WarehouseConnector } from '../../src/connectors/warehouse';
import type { RetryableDownstreamError } from '../../src/domain/errors';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';
import { failure } from '../helpers/failures';

describe('warehouse connector over HTTP', () => {
  let sandbox: Sandbox;
  let wms: WarehouseConnector;
  let ops: ReturnType<typeof admin>;
  const inStock = (warehouseId = 'DC-01') => sandbox.world().stock.find((s) => s.warehouseId === warehouseId && s.onHand >= 3)!;

  before(async () => {
    sandbox = await startTestSandbox(['warehouse']);
    ops = admin(sandbox.urls.warehouse!);
    wms = createWarehouseConnector(configFor(sandbox, { DOWNSTREAM_TIMEOUT_MS: '400' }));
  });
  after(async () => {
    wms.shutdown();
    await sandbox.close();
  });
  beforeEach(async () => ops.reset());

  it('maps shipments and allocations of world orders to the canonical model', async () => {
    const shipment = sandbox.world().shipments.find((s) => s.milestones.some((m) => m.code === 'delivered'))!;
    const shipments = await wms.getShipmentsForOrder(shipment.orderNumber);
    assert.equal(shipments.length, 1);
    assert.equal(shipments[0].shipmentId, shipment.shipmentId);
    assert.equal(shipments[0].carrier, shipment.carrier);
    assert.equal(shipments[0].status, 'delivered');
    assert.deepEqual(shipments[0].events.map((e) => e.type), ['shipped', 'delivered']);
    assert.deepEqual(await wms.getShipment(shipment.shipmentId), shipments[0]);
    assert.deepEqual(await wms.getShipmentsForOrder('SO-UNKNOWN'), []);

    const allocated = sandbox.world().orders.find((o) => o.status === 'allocated')!;
    const allocations = await wms.getAllocations(allocated.orderNumber);
    assert.deepEqual(allocations.map((a) => a.sku), allocated.lines.map((l) => l.sku));
    assert.ok(allocations.every((a) => a.status === 'allocated'));
  });

  it('creates a replacement release once per key and cancels it as compensation, twice harmlessly', async () => {
    const stock = inStock();
    const request = { replacementOrderNumber: 'RO-777', warehouseId: 'DC-01', lines: [{ sku: stock.sku, quantity: 1 }] };
    const first = await wms.createRelease(request, 'replacement/00010002:release');
    const again = await wms.createRelease(request, 'replacement/00010002:release');
    assert.equal(again.releaseId, first.releaseId);
    assert.equal(first.kind, 'replacement');
    assert.equal(first.orderNumber, 'RO-777');
    assert.equal(first.status, 'released');
    assert.equal((await ops.ledger({ kind: 'release.created' })).count, 1);

    const changed = await failure(() => wms.createRelease({ ...request, lines: [{ sku: stock.sku, quantity: 2 }] }, 'replacement/00010002:release'));
    assert.equal(changed.type, 'IdempotencyConflictError');

    assert.equal((await wms.cancelRelease(first.releaseId, 'replacement/00010002:release:undo')).status, 'cancelled');
    assert.equal((await wms.cancelRelease(first.releaseId, 'replacement/00010002:release:undo')).status, 'cancelled');
    assert.equal((await ops.ledger({ kind: 'release.cancelled' })).count, 1);
    assert.equal((await wms.getAllocations('RO-777'))[0].status, 'released');
  });

  it('classifies business refusals as non-retryable: cancel after ship, no stock, unknown records', async () => {
    const stock = inStock();
    const release = await wms.createRelease({ orderNumber: 'SO-WMS-1', warehouseId: 'DC-01', lines: [{ sku: stock.sku, quantity: 1 }] }, 'k-ship');
    await fetch(`${sandbox.urls.warehouse}/__sandbox/warehouse/releases/${release.releaseId}/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'shipped' }) });
    const shipped = await wms.getRelease(release.releaseId);
    assert.equal(shipped.status, 'shipped');
    assert.ok(shipped.shipmentId);
    const tooLate = await failure(() => wms.cancelRelease(release.releaseId, 'k-ship:undo'));
    assert.equal(tooLate.type, 'BusinessRejectionError');
    assert.equal(tooLate.code, 'RELEASE_ALREADY_SHIPPED');
    assert.equal(tooLate.retryable, false);

    const soldOut = sandbox.world().stock.find((s) => s.onHand === 0)!;
    const noStock = await failure(() => wms.createRelease({ orderNumber: 'SO-WMS-2', warehouseId: soldOut.warehouseId, lines: [{ sku: soldOut.sku, quantity: 1 }] }, 'k-nostock'));
    assert.equal(noStock.type, 'BusinessRejectionError');
    assert.equal(noStock.code, 'INSUFFICIENT_STOCK');
    const unknownSku = await failure(() => wms.createRelease({ orderNumber: 'SO-WMS-2', warehouseId: 'DC-01', lines: [{ sku: 'SKU-NOPE', quantity: 1 }] }, 'k-sku'));
    assert.equal(unknownSku.type, 'ValidationError');
    assert.equal((await failure(() => wms.getShipment('SHP-NOPE'))).type, 'NotFoundError');
    assert.equal((await failure(() => wms.cancelRelease('REL-NOPE', 'k-nope'))).type, 'NotFoundError');
  });

  it('records a return receipt once per key', async () => {
    const stock = inStock();
    const request = { rmaNumber: 'RMA-42', warehouseId: 'DC-01', condition: 'opened' as const, lines: [{ sku: stock.sku, quantity: 1 }] };
    const first = await wms.createReturnReceipt(request, 'refund/00010003:receipt');
    const second = await wms.createReturnReceipt(request, 'refund/00010003:receipt');
    assert.equal(second.receiptId, first.receiptId);
    assert.equal(first.restocked, true);
    assert.equal((await ops.ledger({ kind: 'returnReceipt.created' })).count, 1);
  });

  it('classifies faults: 429 with Retry-After, outage, reset, timeout, wrong credentials', async () => {
    await ops.fault({ kind: 'rate-limit', path: '/wms/v1/orders', retryAfterSeconds: 3, count: 1 });
    const limited = await failure(() => wms.getShipmentsForOrder('SO-100001'));
    assert.equal(limited.type, 'RateLimitedError');
    assert.equal((limited as RetryableDownstreamError).retryAfterMs, 3000);
    await ops.fault({ kind: 'outage', path: '/wms/v1/orders', durationMs: 60_000, count: 1 });
    assert.equal((await failure(() => wms.getShipmentsForOrder('SO-100001'))).type, 'DownstreamUnavailableError');
    await ops.fault({ kind: 'reset', path: '/wms/v1/orders', count: 1 });
    assert.equal((await failure(() => wms.getShipmentsForOrder('SO-100001'))).type, 'DownstreamUnavailableError');
    await ops.fault({ kind: 'latency', path: '/wms/v1/orders', latencyMs: 1000, count: 1 });
    assert.equal((await failure(() => wms.getShipmentsForOrder('SO-100001'))).type, 'TimeoutError');

    const intruder = createWarehouseConnector(configFor(sandbox, { WAREHOUSE_API_KEY: 'not-the-key' }));
    try {
      const denied = await failure(() => intruder.getShipmentsForOrder('SO-100001'));
      assert.equal(denied.type, 'AuthorizationError');
      assert.equal(denied.retryable, false);
    } finally {
      intruder.shutdown();
    }
  });
});
