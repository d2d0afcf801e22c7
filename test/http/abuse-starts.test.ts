import assert from 'node:assert/strict';
import type { SalesforceState } from '../../sandbox/systems/salesforce/state';
import { replacementStateQuery, shipmentEventSignal, type ShipmentEvent } from '../../src/workflows/replacement';
import { admin } from '../helpers/sandbox';
import { testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { eventually, openCase } from '../workflows/case-resolution-world';
import { assertProblem, caseFor, keys, paidByCard, startApiWorld, type ApiWorld, type Reply } from './api-world';

/**
 * A key with the `start` scope trying to move money it should not, over a real socket against the
 * running API, workers and sandbox: every attempt is refused before anything starts, and the
 * sandbox ledgers prove that no money moved and nothing was reserved, released or created.
 */
describe('HTTP API: starts refuse what the systems of record do not back', function () {
  this.timeout(90_000);
  let world: ApiWorld;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    // The default routing: credit memos in the legacy ERP, which does not count lines; the payment provider's record of refunded lines does.
    world = await startApiWorld({ workers: true });
  });
  after(async () => {
    await world?.close();
  });

  const systems = ['payments', 'erpCloud', 'erpLegacy', 'warehouse'] as const;
  /** Side effects recorded by the systems that move money or goods. */
  const sideEffects = async () => Object.fromEntries(await Promise.all(systems.map(async (s) => [s, (await admin(world.sandbox!.urls[s]!).ledger()).count] as const)));
  /** Runs refused requests and proves they changed nothing downstream and started no process. */
  async function refusedWithoutEffects(caseNumber: string, attempts: () => Promise<void>): Promise<void> {
    const before = await sideEffects();
    await attempts();
    assert.deepEqual(await sideEffects(), before, 'no money moved, nothing reserved, released or created');
    assert.equal((await world.env.client.workflow.count(`CaseNumber = "${caseNumber}"`)).count, 0, 'no process started');
  }
  const fieldsOf = (reply: Reply) => (reply.body.errors as { path: string }[] | undefined)?.map((e) => e.path) ?? [];

  /** A card-paid order of several lines whose first line is below the approval threshold (its refund runs by itself). */
  const refundable = () =>
    caseFor(world.sandbox!, (o, w, c) => paidByCard(o, w) && o.lines.length >= 2 && o.lines[0].unitPrice * o.lines[0].quantity <= 20_000 && c.reason !== 'wrong-item' && o.status !== 'cancelled');

  it('refuses facts in the body (payment, order, segment, customer, warehouse): 400 naming the field', async () => {
    const kase = refundable();
    const foreign = world.sandbox!.world().payments.find((p) => p.paymentId !== kase.order.paymentId)!.paymentId;
    await refusedWithoutEffects(kase.caseNumber, async () => {
      const attempts: [string, Record<string, unknown>][] = [
        ['/v1/refunds', { paymentId: foreign }],
        ['/v1/refunds', { orderNumber: 'SO-100013' }],
        ['/v1/refunds', { segment: 'loyalty-gold' }],
        ['/v1/refunds', { customerId: 'C-1', storeId: '114', region: 'US-W', channel: 'web' }],
        ['/v1/refunds', { warehouseId: 'DC-01', returnRequired: false }],
        ['/v1/replacements', { warehouseId: 'DC-01' }],
        ['/v1/case-resolutions', { orderNumber: 'SO-100013', segment: 'loyalty-gold' }],
      ];
      for (const [path, extra] of attempts) {
        const reply = await world.call('POST', path, { key: keys.flow, body: { caseNumber: kase.caseNumber, caseId: kase.caseId, ...extra } });
        assertProblem(reply, 400, 'validation');
        assert.deepEqual(fieldsOf(reply).sort(), Object.keys(extra).map((k) => `body.${k}`).sort(), `${path} ${JSON.stringify(extra)}`);
      }
    });
  });

  it('refuses a case Salesforce does not have (404), another record id or a case without an order (422)', async () => {
    const made = uniqueName('00099');
    await refusedWithoutEffects(made, async () => {
      for (const path of ['/v1/refunds', '/v1/replacements', '/v1/case-resolutions']) assertProblem(await world.call('POST', path, { key: keys.flow, body: { caseNumber: made } }), 404, 'case-not-found');
    });
    assert.equal((await world.env.client.workflow.count(`WorkflowId = "refund/${made}"`)).count, 0, 'the real case keeps its workflow id free');

    const kase = refundable();
    const other = refundable();
    await refusedWithoutEffects(kase.caseNumber, async () => {
      assertProblem(await world.call('POST', '/v1/refunds', { key: keys.flow, body: { caseNumber: kase.caseNumber, caseId: other.caseId } }), 422, 'case-mismatch');
    });

    const orphan = refundable();
    const sf = world.sandbox!.systems.salesforce!.ctx.store as unknown as { data: SalesforceState; changed: () => void };
    sf.data.records.Case[orphan.caseId].Order_Number__c = null;
    sf.changed();
    await refusedWithoutEffects(orphan.caseNumber, async () => {
      assertProblem(await world.call('POST', '/v1/refunds', { key: keys.flow, body: { caseNumber: orphan.caseNumber } }), 422, 'case-without-order');
    });
  });

  it('refuses lines the order does not allow: foreign SKU, unknown line, more than is left, too many lines, 2^53−1, a line twice', async () => {
    const kase = refundable();
    const line = kase.order.lines[0];
    const otherSku = world.sandbox!.world().products.find((p) => !kase.order.lines.some((l) => l.sku === p.sku))!.sku;
    await refusedWithoutEffects(kase.caseNumber, async () => {
      const unprocessable: [string, unknown[]][] = [
        ['/v1/replacements', [{ lineNumber: line.lineNumber, quantity: 1, sku: otherSku }]],
        ['/v1/replacements', [{ lineNumber: 999, quantity: 1 }]],
        ['/v1/refunds', [{ lineNumber: 999, quantity: 1 }]],
        ['/v1/refunds', [{ lineNumber: line.lineNumber, quantity: line.quantity + 1 }]],
        ['/v1/replacements', [{ lineNumber: line.lineNumber, quantity: line.quantity + 1 }]],
      ];
      for (const [path, lines] of unprocessable) {
        const reply = await world.call('POST', path, { key: keys.flow, body: { caseNumber: kase.caseNumber, lines } });
        assertProblem(reply, 422, 'lines-refused');
        assert.match(fieldsOf(reply)[0], /^body\.lines/, JSON.stringify(lines));
      }
      const malformed: unknown[][] = [
        Array.from({ length: 900 }, (_, i) => ({ lineNumber: i + 1, quantity: 1 })),
        [{ lineNumber: line.lineNumber, quantity: Number.MAX_SAFE_INTEGER }],
        [{ lineNumber: line.lineNumber, quantity: 1 }, { lineNumber: line.lineNumber, quantity: 1 }],
        [{ lineNumber: line.lineNumber, quantity: 1.5 }],
      ];
      for (const lines of malformed) {
        for (const path of ['/v1/refunds', '/v1/replacements']) assertProblem(await world.call('POST', path, { key: keys.flow, body: { caseNumber: kase.caseNumber, lines } }), 400, 'validation');
      }
    });
  });

  it('a line refunded on one case cannot be refunded or replaced again on another case of the same order (the payment provider records the refunded lines)', async () => {
    const first = refundable();
    const line = first.order.lines[0];
    const refunded = await world.call('POST', '/v1/refunds', { key: keys.flow, body: { caseNumber: first.caseNumber, lines: [{ lineNumber: line.lineNumber, quantity: line.quantity }] } });
    assert.equal(refunded.status, 202, refunded.text);
    const done = await eventually(async () => {
      const p = await world.call('GET', String(refunded.body.statusUrl), { key: keys.reader });
      return p.body.status === 'COMPLETED' || p.body.status === 'FAILED' ? p : undefined;
    }, 40_000, 'the first refund to close');
    assert.equal(done.body.status, 'COMPLETED', done.text);
    const refunds = (await admin(world.sandbox!.urls.payments!).ledger({ kind: 'refund.created' })).entries.filter((e) => JSON.stringify(e).includes(first.caseNumber));
    assert.equal(refunds.length, 1, 'the legitimate refund moved money once');

    const second = openCase(world.sandbox!, first.seededCaseNumber); // another case about the same order
    await refusedWithoutEffects(second.caseNumber, async () => {
      const again = await world.call('POST', '/v1/refunds', { key: keys.flow, body: { caseNumber: second.caseNumber, lines: [{ lineNumber: line.lineNumber, quantity: 1 }] } });
      assertProblem(again, 422, 'lines-refused');
      assert.equal(fieldsOf(again)[0], `body.lines[lineNumber=${line.lineNumber}]`);
      const replaceIt = await world.call('POST', '/v1/replacements', { key: keys.flow, body: { caseNumber: second.caseNumber, lines: [{ lineNumber: line.lineNumber, quantity: 1 }] } });
      assertProblem(replaceIt, 422, 'lines-refused');
    });
  });

  it('a legitimate replacement ships the ordered SKU from a warehouse holding it and is followed to delivery', async () => {
    const kase = caseFor(world.sandbox!, (o, w) => o.status !== 'cancelled' && w.stock.some((s) => s.sku === o.lines[0].sku && s.onHand - s.reserved >= o.lines[0].quantity + 5));
    const line = kase.order.lines[0];
    const started = await world.call('POST', '/v1/replacements', { key: keys.flow, body: { caseNumber: kase.caseNumber, lines: [{ lineNumber: line.lineNumber, quantity: 1 }] } });
    assert.equal(started.status, 202, started.text);
    const handle = world.env.client.workflow.getHandle(String(started.body.workflowId));
    const releaseId = await eventually(async () => (await handle.query(replacementStateQuery)).releaseId, 30_000, 'the warehouse release');
    const [release] = (await admin(world.sandbox!.urls.warehouse!).ledger({ kind: 'release.created' })).entries.filter((e) => e.ref === releaseId);
    assert.ok(release, 'the release is in the warehouse ledger');
    const advanced = await fetch(`${world.sandbox!.urls.warehouse}/__sandbox/warehouse/releases/${releaseId}/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'delivered' }) });
    assert.equal(advanced.status, 200, await advanced.clone().text());
    const types: Record<string, ShipmentEvent['type']> = { RELEASE_PICKED: 'picked', RELEASE_PACKED: 'packed', SHIPPED: 'shipped', DELIVERED: 'delivered' };
    const { events } = (await advanced.json()) as { events: { eventId: string; eventType: string; releaseId: string; trackingNumber?: string; carrierCode?: string; eventTime: string }[] };
    for (const e of events) await handle.signal(shipmentEventSignal, { eventId: e.eventId, type: types[e.eventType], releaseId: e.releaseId, trackingNumber: e.trackingNumber, carrier: e.carrierCode, occurredAt: e.eventTime });
    const result = (await handle.result()) as { status: string; replacementOrderNumber?: string };
    assert.equal(result.status, 'delivered');
    const [ordered] = (await admin(world.sandbox!.urls.erpCloud!).ledger({ kind: 'replacementOrder.created' })).entries.filter((e) => e.data?.orderNumber === result.replacementOrderNumber);
    assert.equal(ordered.data?.originalOrderNumber, kase.orderNumber);
  });

  it('answers 503 and starts nothing when Salesforce cannot be reached', async () => {
    const kase = refundable();
    await admin(world.sandbox!.urls.salesforce!).fault({ kind: 'outage', path: '/services/data', durationMs: 30_000 });
    try {
      await refusedWithoutEffects(kase.caseNumber, async () => {
        const reply = await world.call('POST', '/v1/refunds', { key: keys.flow, body: { caseNumber: kase.caseNumber } });
        assertProblem(reply, 503, 'system-unavailable');
      });
    } finally {
      await admin(world.sandbox!.urls.salesforce!).clearFaults();
    }
  });
});
