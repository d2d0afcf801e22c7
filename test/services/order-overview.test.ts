import assert from 'node:assert/strict';
import type { Sandbox } from '../../sandbox';
import type { WorldOrder } from '../../sandbox/seed/world';
import { policySourceOf } from '../../src/config/policy';
import { createOrderOverview, OrderNotFoundError, OrderOverviewSchema, type OrderOverviewService } from '../../src/services/order-overview';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';

const DAY_MS = 86_400_000;

describe('order overview over HTTP against the sandbox', () => {
  let sandbox: Sandbox;
  let service: OrderOverviewService;
  let shipped: WorldOrder;
  const timeouts = { erp: 1500, warehouse: 400, carrier: 400, payments: 1500 };

  before(async () => {
    sandbox = await startTestSandbox(['erpCloud', 'erpLegacy', 'warehouse', 'payments', 'carrier']);
    service = createOrderOverview(configFor(sandbox), { timeouts, policy: policySourceOf({ refundWindowDays: 30 }) });
    const recent = (o: WorldOrder) => Date.now() - Date.parse(o.placedAt) < 20 * DAY_MS;
    shipped = sandbox.world().orders.find((o) => o.status === 'shipped' && o.trackingNumber && recent(o))!;
    assert.ok(shipped, 'the seeded world has a recent shipped order');
  });
  after(async () => {
    service.close();
    await sandbox.close();
  });
  afterEach(async () => {
    await Promise.all([admin(sandbox.urls.warehouse!).clearFaults(), admin(sandbox.urls.carrier!).clearFaults(), admin(sandbox.urls.erpCloud!).clearFaults()]);
  });

  it('answers a complete view of a shipped order: order, lines, parcel milestones, stock, payment, eligibility', async () => {
    const view = OrderOverviewSchema.parse(await service.overview(shipped.orderNumber));
    const world = sandbox.world();
    assert.equal(view.complete, true, JSON.stringify(view.missing));
    assert.deepEqual(view.missing, []);
    assert.equal(view.order?.status, 'shipped');
    assert.equal(view.order?.totalAmount, shipped.total);
    assert.equal(view.order?.currency, shipped.currency);
    assert.deepEqual(view.lines.map((l) => [l.sku, l.quantity]), shipped.lines.map((l) => [l.sku, l.quantity]));
    for (const line of view.lines) assert.equal(line.returnable, world.products.find((p) => p.sku === line.sku)!.returnable);

    const parcel = world.shipments.find((s) => s.orderNumber === shipped.orderNumber)!;
    assert.equal(view.shipments.length, 1);
    assert.equal(view.shipments[0].trackingNumber, parcel.trackingNumber);
    assert.equal(view.shipments[0].trackingStatus, parcel.milestones.at(-1)!.code);
    assert.deepEqual(view.milestones.map((m) => m.code), parcel.milestones.map((m) => m.code));
    assert.ok(view.milestones.every((m) => m.trackingNumber === parcel.trackingNumber));

    assert.deepEqual(new Set(view.stock.map((s) => s.sku)), new Set(shipped.lines.map((l) => l.sku)));
    assert.notEqual(view.stockSummary.status, 'unknown');

    assert.equal(view.payment?.paymentId, shipped.paymentId);
    assert.equal(view.payment?.capturedAmount, shipped.total);
    assert.equal(view.payment?.refundableAmount, shipped.total);

    const returnable = shipped.lines.filter((l) => world.products.find((p) => p.sku === l.sku)!.returnable).map((l) => l.sku);
    assert.equal(view.returnEligibility?.eligible, returnable.length > 0);
    assert.equal(view.returnEligibility?.returnableSkusKnown, true);
    assert.deepEqual(view.returnEligibility?.returnableSkus, returnable);
    assert.equal(view.returnEligibility?.refundWindowEndsAt, new Date(Date.parse(shipped.placedAt) + 30 * DAY_MS).toISOString());
  });

  it('marks the tracking missing when the carrier is down, and still answers everything else', async () => {
    await admin(sandbox.urls.carrier!).fault({ kind: 'outage', path: '/track/', durationMs: 60_000 });
    const view = OrderOverviewSchema.parse(await service.overview(shipped.orderNumber));
    assert.equal(view.complete, false);
    assert.deepEqual(
      view.missing.map((m) => [m.part, m.system, m.failureType, m.reference]),
      [['tracking', 'carrier', 'DownstreamUnavailableError', shipped.trackingNumber]],
    );
    assert.equal(view.shipments[0].trackingStatus, 'unknown');
    assert.equal(view.shipments[0].warehouseStatus, 'shipped');
    assert.deepEqual(view.milestones, []);
    assert.ok(view.order && view.payment && view.returnEligibility);
    assert.ok(view.stock.length > 0);
  });

  it('answers within about the warehouse timeout when the warehouse is slow, without shipments', async () => {
    await admin(sandbox.urls.warehouse!).fault({ kind: 'latency', path: '/wms/', latencyMs: 2500 });
    const started = performance.now();
    const view = OrderOverviewSchema.parse(await service.overview(shipped.orderNumber));
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= timeouts.warehouse - 20 && elapsed < timeouts.warehouse + 500, `answered after ${Math.round(elapsed)} ms`);
    assert.equal(view.complete, false);
    assert.deepEqual(view.missing.map((m) => [m.part, m.system, m.failureType]), [['shipments', 'warehouse', 'TimeoutError']]);
    assert.deepEqual(view.shipments, []);
    assert.ok(view.order && view.payment && view.returnEligibility);
  });

  it('answers the parcels with the order, stock and payment marked missing when the ERP is down', async () => {
    await admin(sandbox.urls.erpCloud!).fault({ kind: 'outage', path: '/api/v2/orders/', durationMs: 60_000 });
    const view = OrderOverviewSchema.parse(await service.overview(shipped.orderNumber));
    assert.equal(view.complete, false);
    assert.deepEqual(
      view.missing.map((m) => [m.part, m.failureType]),
      [
        ['order', 'DownstreamUnavailableError'],
        ['stock', 'DependencyUnavailableError'],
        ['payment', 'DependencyUnavailableError'],
        ['returnEligibility', 'DependencyUnavailableError'],
      ],
    );
    assert.equal(view.order, undefined);
    assert.equal(view.shipments[0].trackingNumber, shipped.trackingNumber);
    assert.equal(view.stockSummary.status, 'unknown');
  });

  it('says why an order cannot be returned: cancelled, or outside the refund window', async () => {
    const cancelled = sandbox.world().orders.find((o) => o.status === 'cancelled')!;
    assert.equal((await service.overview(cancelled.orderNumber)).returnEligibility?.reason, 'order-cancelled');
    const old = sandbox.world().orders.find((o) => o.status === 'delivered' && Date.now() - Date.parse(o.placedAt) > 40 * DAY_MS)!;
    const view = await service.overview(old.orderNumber);
    assert.equal(view.returnEligibility?.eligible, false);
    assert.equal(view.returnEligibility?.reason, 'outside-refund-window');
  });

  it('rejects an order the ERP does not know with OrderNotFoundError', async () => {
    await assert.rejects(service.overview('SO-999999'), (err: unknown) => err instanceof OrderNotFoundError && err.orderNumber === 'SO-999999');
  });
});
