import assert from 'node:assert/strict';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Sandbox } from '../../sandbox';
import type { World } from '../../sandbox/seed/world';
import { buildActivities } from '../../src/activities';
import { idempotencyMarker } from '../../src/connectors/salesforce/connector';
import { CaseReasonSchema } from '../../src/domain/case';
import { idempotencyKey } from '../../src/domain/idempotency';
import { createWorkers } from '../../src/workers/workers';
import { replacement } from '../../src/workflows';
import { workflowIds } from '../../src/workflows/lib/case-context';
import { Stage } from '../../src/workflows/search-attributes';
import { replacementStateQuery, shipmentEventSignal, type ReplacementInput, type ReplacementResult, type ReplacementState, type ShipmentEvent } from '../../src/workflows/replacement';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, runWorkersUntil, testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { systemQueuesOf } from '../workers/fake-activities';

/**
 * The replacement saga on the real dev server, the real workers and connectors, and a fresh sandbox
 * per test (so ledgers start empty). Shipment events are what the warehouse emits when the test
 * advances the release; the test forwards them as signals, as the event API will.
 */

type Ledger = Awaited<ReturnType<ReturnType<typeof admin>['ledger']>>;

interface Run {
  sandbox: Sandbox;
  handle: WorkflowHandle<typeof replacement>;
  workflowId: string;
  input: ReplacementInput;
  /** Advances the warehouse release and returns the events it emitted, as shipment-event signals. */
  advance: (to: 'picked' | 'packed' | 'shipped' | 'delivered') => Promise<ShipmentEvent[]>;
  signal: (...events: ShipmentEvent[]) => Promise<void>;
  state: () => Promise<ReplacementState>;
  waitFor: (what: string, predicate: (s: ReplacementState) => boolean, timeoutMs?: number) => Promise<ReplacementState>;
  ledger: (system: 'erpCloud' | 'warehouse' | 'salesforce', kind: string) => Promise<Ledger['entries']>;
  /** Case comments written under the workflow's step key. */
  comments: (step: string) => Promise<Ledger['entries']>;
}

const EVENT_TYPES: Record<string, ShipmentEvent['type']> = { RELEASE_PICKED: 'picked', RELEASE_PACKED: 'packed', SHIPPED: 'shipped', DELIVERED: 'delivered' };

/** A case whose first order line is returnable and well stocked at the store's warehouse, in the ERP and the WMS. */
function pickCase(world: World) {
  for (const kase of world.cases) {
    const order = world.orders.find((o) => o.orderNumber === kase.orderNumber)!;
    const warehouseId = world.stores.find((s) => s.storeId === order.storeId)!.warehouseId;
    const line = order.lines[0];
    const stock = world.stock.find((s) => s.sku === line.sku && s.warehouseId === warehouseId);
    const returnable = world.products.find((p) => p.sku === line.sku)?.returnable;
    if (returnable && stock && stock.onHand >= line.quantity + 20) return { kase, order, warehouseId, line };
  }
  throw new Error('no suitable case in the seeded world');
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('replacement saga (real workers, connectors and sandbox)', function () {
  this.timeout(90_000);
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    [env, workflowBundle] = await Promise.all([getTestEnv(), getWorkflowBundle()]);
  });

  /** Starts a sandbox, the workers and one replacement, and hands the test its handle and helpers. */
  async function withReplacement<T>({ returnRequired = true, ...overrides }: Partial<ReplacementInput> & { returnRequired?: boolean }, fn: (run: Run) => Promise<T>, prepare?: (sandbox: Sandbox) => Promise<void>): Promise<T> {
    const sandbox = await startTestSandbox();
    const config = configFor(sandbox, isolatedQueueEnv('replacement'));
    const activities = buildActivities(config);
    try {
      const { kase, line } = pickCase(sandbox.world());
      const sfCase = await activities.salesforce.getCaseByNumber(kase.caseNumber);
      // The case only: the workflow reads the order, the customer and the stock itself.
      const input: ReplacementInput = {
        caseNumber: kase.caseNumber,
        caseId: sfCase.caseId,
        lines: [{ lineNumber: line.lineNumber, quantity: line.quantity }],
        taskQueues: systemQueuesOf(config),
        ...overrides,
        policy: { returnRequiredFor: returnRequired ? [...CaseReasonSchema.options] : [], ...overrides.policy },
      };
      await prepare?.(sandbox);
      const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities });
      const workflowId = `${workflowIds.replacement(kase.caseNumber)}.${uniqueName('t')}`;
      return await runWorkersUntil(workers, async () => {
        const handle = await env.client.workflow.start(replacement, { taskQueue: config.taskQueues.orchestration, workflowId, args: [input] });
        const state = () => handle.query(replacementStateQuery);
        const run: Run = {
          sandbox,
          handle,
          workflowId,
          input,
          state,
          advance: async (to) => {
            const releaseId = (await state()).releaseId;
            assert.ok(releaseId, 'no release yet');
            const res = await fetch(`${sandbox.urls.warehouse}/__sandbox/warehouse/releases/${releaseId}/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to }) });
            assert.equal(res.status, 200, await res.clone().text());
            const body = (await res.json()) as { events: { eventId: string; eventType: string; releaseId: string; trackingNumber?: string; carrierCode?: string; eventTime: string }[] };
            return body.events.map((e) => ({ eventId: e.eventId, type: EVENT_TYPES[e.eventType], releaseId: e.releaseId, trackingNumber: e.trackingNumber, carrier: e.carrierCode, occurredAt: e.eventTime }));
          },
          signal: async (...events) => {
            for (const event of events) await handle.signal(shipmentEventSignal, event);
          },
          waitFor: async (what, predicate, timeoutMs = 30_000) => {
            const deadline = Date.now() + timeoutMs;
            for (;;) {
              const s = await state();
              if (predicate(s)) return s;
              if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; state: ${JSON.stringify(s)}`);
              await new Promise((resolve) => setTimeout(resolve, 200));
            }
          },
          ledger: async (system, kind) => (await admin(sandbox.urls[system]!).ledger({ kind })).entries,
          comments: async (step) => {
            const marker = idempotencyMarker(idempotencyKey(workflowId, step));
            return (await admin(sandbox.urls.salesforce!).ledger({ kind: 'CaseComment.created' })).entries.filter((e) => String(e.data?.CommentBody).includes(marker));
          },
        };
        return fn(run);
      });
    } finally {
      await activities.close();
      await sandbox.close();
    }
  }

  async function counts(run: Run, kinds: [system: 'erpCloud' | 'warehouse', kind: string][]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [system, kind] of kinds) out[kind] = (await run.ledger(system, kind)).length;
    return out;
  }

  const allKinds: [system: 'erpCloud' | 'warehouse', kind: string][] = [
    ['erpCloud', 'reservation.created'],
    ['erpCloud', 'reservation.released'],
    ['erpCloud', 'replacementOrder.created'],
    ['erpCloud', 'replacementOrder.cancelled'],
    ['erpCloud', 'returnAuthorization.created'],
    ['erpCloud', 'returnAuthorization.cancelled'],
    ['warehouse', 'release.created'],
    ['warehouse', 'release.cancelled'],
  ];

  /** Ships and delivers the release, forwarding every warehouse event as a signal. */
  async function shipAndDeliver(run: Run): Promise<ReplacementResult> {
    await run.waitFor('the release', (s) => s.releaseId !== undefined);
    await run.signal(...(await run.advance('shipped')));
    await run.waitFor('in transit', (s) => s.stage === 'in-transit');
    await run.signal(...(await run.advance('delivered')));
    return run.handle.result();
  }

  it('happy path: reserves, orders, authorizes the return, releases, follows the parcel to delivery', async () => {
    await withReplacement({}, async (run) => {
      const result = await shipAndDeliver(run);
      assert.equal(result.status, 'delivered');
      assert.deepEqual(result.escalations, []);
      assert.deepEqual(result.compensated, []);
      assert.deepEqual(result.alerts, []);
      const [shipment] = await run.ledger('warehouse', 'shipment.created');
      assert.equal(result.trackingNumber, shipment.data?.trackingNumber);
      assert.equal(result.releaseId, shipment.data?.releaseId);

      assert.deepEqual(await counts(run, allKinds), {
        'reservation.created': 1,
        'reservation.released': 0,
        'replacementOrder.created': 1,
        'replacementOrder.cancelled': 0,
        'returnAuthorization.created': 1,
        'returnAuthorization.cancelled': 0,
        'release.created': 1,
        'release.cancelled': 0,
      });
      // Every mutating call carried its step's key.
      const [reservation] = await run.ledger('erpCloud', 'reservation.created');
      assert.equal(reservation.idempotencyKey, idempotencyKey(run.workflowId, 'reserve-stock'));
      const [release] = await run.ledger('warehouse', 'release.created');
      assert.equal(release.idempotencyKey, idempotencyKey(run.workflowId, 'create-release'));
      assert.equal(release.data?.orderNumber, result.replacementOrderNumber);
      // The held stock left with the parcel: the reservation is consumed once, never left reserved.
      const consumed = await run.ledger('erpCloud', 'reservation.consumed');
      assert.deepEqual(consumed.map((e) => [e.ref, e.idempotencyKey]), [[result.reservationId, idempotencyKey(run.workflowId, 'consume-reservation')]]);

      for (const step of ['note-released', 'note-shipped', 'note-delivered']) assert.equal((await run.comments(step)).length, 1, step);
      const caseUpdates = (await run.ledger('salesforce', 'Case.updated')).filter((e) => e.ref === run.input.caseId);
      assert.ok(caseUpdates.some((e) => e.data?.Resolution__c !== undefined), 'the case got its resolution');

      const state = await run.state();
      assert.equal(state.stage, 'delivered');
      assert.equal(state.shipment.progress, 'delivered');
      const description = await run.handle.describe();
      assert.equal(description.typedSearchAttributes.get(Stage), 'delivered');
    });
  });

  const failures: { step: string; system: 'erpCloud' | 'warehouse'; fault: Record<string, unknown>; type: string; expected: Record<string, number> }[] = [
    {
      step: 'reserve-stock',
      system: 'erpCloud',
      fault: { kind: 'error', method: 'POST', path: '/api/v2/reservations', status: 409, errorCode: 'INSUFFICIENT_STOCK' },
      type: 'BusinessRejectionError',
      expected: {},
    },
    {
      step: 'create-replacement-order',
      system: 'erpCloud',
      fault: { kind: 'error', method: 'POST', path: '/api/v2/replacement-orders', status: 422, errorCode: 'WAREHOUSE_NOT_FOUND' },
      type: 'ValidationError',
      expected: { 'reservation.created': 1, 'reservation.released': 1 },
    },
    {
      step: 'create-return-authorization',
      system: 'erpCloud',
      fault: { kind: 'error', method: 'POST', path: '/api/v2/return-authorizations', status: 409, errorCode: 'RETURN_NOT_ALLOWED' },
      type: 'BusinessRejectionError',
      expected: { 'reservation.created': 1, 'reservation.released': 1, 'replacementOrder.created': 1, 'replacementOrder.cancelled': 1 },
    },
    {
      step: 'create-release',
      system: 'warehouse',
      fault: { kind: 'error', method: 'POST', path: '/wms/v1/releases', status: 409, errorCode: 'INSUFFICIENT_STOCK' },
      type: 'BusinessRejectionError',
      expected: { 'reservation.created': 1, 'reservation.released': 1, 'replacementOrder.created': 1, 'replacementOrder.cancelled': 1, 'returnAuthorization.created': 1, 'returnAuthorization.cancelled': 1 },
    },
  ];

  for (const { step, system, fault, type, expected } of failures) {
    it(`a rejection at ${step} undoes every earlier step and fails with ${type}`, async () => {
      await withReplacement(
        {},
        async (run) => {
          const err = await run.handle.result().then(
            () => assert.fail('the replacement should have failed'),
            (e: unknown) => e,
          );
          assert.ok(err instanceof WorkflowFailedError, String(err));
          assert.ok(err.cause instanceof ActivityFailure, String(err.cause));
          assert.ok(err.cause.cause instanceof ApplicationFailure);
          assert.equal(err.cause.cause.type, type);
          const zero = Object.fromEntries(allKinds.map(([, kind]) => [kind, 0]));
          assert.deepEqual(await counts(run, allKinds), { ...zero, ...expected });
          const state = await run.state();
          assert.equal(state.stage, 'failed');
          assert.equal((await run.comments('note-failed')).length, 1, 'the case is told');
        },
        async (sandbox) => {
          await admin(sandbox.urls[system]!).fault(fault);
        },
      );
    });
  }

  it('survives a warehouse outage at the pivot: one alert on the case, exactly one release, delivered', async () => {
    await withReplacement(
      { policy: { alertAfterAttempts: 3 } },
      async (run) => {
        const alerted = await run.waitFor('the alert', (s) => s.alerts.length > 0);
        assert.equal(alerted.stage, 'releasing-to-warehouse', JSON.stringify(alerted));
        assert.equal(alerted.releaseId, undefined);
        const result = await shipAndDeliver(run);
        assert.equal(result.status, 'delivered');
        assert.equal(result.alerts.length, 1);
        assert.equal(result.alerts[0].step, 'create-release');
        assert.ok(['DownstreamUnavailableError', 'CircuitOpenError'].includes(result.alerts[0].errorType ?? ''), result.alerts[0].errorType);
        assert.equal((await run.comments('alert:create-release')).length, 1);
        assert.equal((await run.ledger('warehouse', 'release.created')).length, 1);
        assert.equal((await run.ledger('erpCloud', 'reservation.created')).length, 1);
        assert.equal((await run.ledger('erpCloud', 'replacementOrder.created')).length, 1);
      },
      async (sandbox) => {
        // Four refused releases, counted rather than timed: the three bounded attempts (the alert) and the first patient one.
        await admin(sandbox.urls.warehouse!).fault({ kind: 'outage', method: 'POST', path: '/wms/v1/releases', count: 4, durationMs: 600_000 });
      },
    );
  });

  it('escalates once when not shipped in time and once when not delivered in time, and keeps following', async () => {
    await withReplacement({ returnRequired: false, policy: { replacementShipWithin: '2 seconds', replacementDeliverWithin: '2 seconds' } }, async (run) => {
      await run.waitFor('the shipping escalation', (s) => s.escalations.includes('not-shipped-in-time'));
      const tasks = async () => (await run.ledger('salesforce', 'Task.created')).filter((t) => t.data?.WhatId === run.input.caseId);
      const shippingTask = (await tasks()).filter((t) => t.data?.Retail_Key__c === idempotencyKey(run.workflowId, 'escalate:not-shipped-in-time'));
      assert.equal(shippingTask.length, 1);
      assert.equal((await run.state()).stage, 'awaiting-shipment', 'still waiting after the escalation');

      await run.signal(...(await run.advance('shipped')));
      await run.waitFor('the delivery escalation', (s) => s.escalations.includes('not-delivered-in-time'));
      await new Promise((resolve) => setTimeout(resolve, 2_500)); // another window: still one task per escalation
      await run.signal(...(await run.advance('delivered')));
      const result = await run.handle.result();
      assert.equal(result.status, 'delivered');
      assert.deepEqual(result.escalations, ['not-shipped-in-time', 'not-delivered-in-time']);
      assert.equal((await tasks()).length, 2);
      assert.equal((await run.comments('note-escalated:not-shipped-in-time')).length, 1);
      assert.equal((await run.comments('note-escalated:not-delivered-in-time')).length, 1);
    });
  });

  it('finds lost shipment events by asking the warehouse before escalating', async () => {
    await withReplacement({ returnRequired: false, policy: { replacementShipWithin: '2 seconds', replacementDeliverWithin: '2 seconds' } }, async (run) => {
      await run.waitFor('the release', (s) => s.releaseId !== undefined);
      await run.advance('shipped'); // events lost: nothing is signalled
      await run.waitFor('in transit', (s) => s.stage === 'in-transit');
      await run.advance('delivered');
      const result = await run.handle.result();
      assert.equal(result.status, 'delivered');
      assert.deepEqual(result.escalations, []);
      const [shipment] = await run.ledger('warehouse', 'shipment.created');
      assert.equal(result.trackingNumber, shipment.data?.trackingNumber);
      assert.equal((await run.ledger('salesforce', 'Task.created')).length, 0);
    });
  });

  it('ignores duplicate, out-of-order and other releases\' shipment events', async () => {
    await withReplacement({ returnRequired: false }, async (run) => {
      await run.waitFor('the release', (s) => s.releaseId !== undefined);
      const [picked, packed, shipped] = await run.advance('shipped');
      assert.deepEqual([picked.type, packed.type, shipped.type], ['picked', 'packed', 'shipped']);
      const otherRelease: ShipmentEvent = { eventId: 'WEV-OTHER-1', type: 'delivered', releaseId: 'REL-W9999999', occurredAt: new Date().toISOString() };
      await run.signal(shipped, picked, packed, shipped, otherRelease);
      const state = await run.waitFor('five events, in transit', (s) => s.shipment.eventsReceived === 5 && s.stage === 'in-transit');
      assert.equal(state.stage, 'in-transit');
      assert.equal(state.shipment.progress, 'shipped');
      assert.equal(state.shipment.trackingNumber, shipped.trackingNumber);
      assert.deepEqual(
        state.shipment.ignored.map((i) => [i.eventId, i.reason]),
        [
          [picked.eventId, 'out-of-order'],
          [packed.eventId, 'out-of-order'],
          [shipped.eventId, 'duplicate'],
          ['WEV-OTHER-1', 'other-release'],
        ],
      );
      const delivered = await run.advance('delivered');
      await run.signal(...delivered, ...delivered);
      const result = await run.handle.result();
      assert.equal(result.status, 'delivered');
      assert.equal((await run.comments('note-shipped')).length, 1);
      assert.equal((await run.comments('note-delivered')).length, 1);
    });
  });

  it('cancelled before the pivot: undoes everything, notes it on the case, ends with status cancelled', async () => {
    await withReplacement(
      {},
      async (run) => {
        await run.waitFor('the release attempt', (s) => s.stage === 'releasing-to-warehouse');
        await run.handle.cancel();
        await admin(run.sandbox.urls.warehouse!).clearFaults();
        const result = await run.handle.result();
        assert.equal(result.status, 'cancelled');
        assert.deepEqual(result.compensated, ['cancel-release', 'cancel-return-authorization', 'cancel-replacement-order', 'release-reservation']);
        const c = await counts(run, allKinds);
        assert.deepEqual(
          { ...c, 'release.created': 0, 'release.cancelled': 0 },
          {
            'reservation.created': 1,
            'reservation.released': 1,
            'replacementOrder.created': 1,
            'replacementOrder.cancelled': 1,
            'returnAuthorization.created': 1,
            'returnAuthorization.cancelled': 1,
            'release.created': 0,
            'release.cancelled': 0,
          },
        );
        // The release call's outcome was unknown, so the undo repeated it under its key and cancelled what it got: no live release.
        assert.equal(c['release.created'], c['release.cancelled']);
        assert.equal((await run.comments('note-cancelled')).length, 1);
        assert.equal((await run.handle.describe()).status.name, 'COMPLETED');
        assert.equal((await run.state()).stage, 'cancelled');
      },
      async (sandbox) => {
        await admin(sandbox.urls.warehouse!).fault({ kind: 'outage', method: 'POST', path: '/wms/v1/releases', durationMs: 60_000 });
      },
    );
  });

  it('cancelled after the pivot but before shipping: cancels the release and withdraws the rest', async () => {
    await withReplacement({}, async (run) => {
      await run.waitFor('awaiting shipment', (s) => s.stage === 'awaiting-shipment');
      await run.handle.cancel();
      const result = await run.handle.result();
      assert.equal(result.status, 'cancelled');
      assert.deepEqual(result.compensated, ['cancel-release', 'cancel-return-authorization', 'cancel-replacement-order', 'release-reservation']);
      assert.deepEqual(await counts(run, allKinds), Object.fromEntries(allKinds.map(([, kind]) => [kind, 1])));
      assert.equal((await run.comments('note-cancelled')).length, 1);
    });
  });

  it('cancelled after the parcel shipped: cannot undo, tells the case and follows it to delivery', async () => {
    await withReplacement({ returnRequired: false }, async (run) => {
      await run.waitFor('the release, and the wait for the parcel', (s) => s.releaseId !== undefined && s.stage === 'awaiting-shipment');
      await run.advance('shipped'); // the workflow has not heard yet, so it asks the warehouse to cancel
      await run.handle.cancel();
      await run.waitFor('the cancel', (s) => s.cancelRequested);
      await eventually('the note on the case', async () => (await run.comments('note-cancel-refused')).length === 1);
      assert.equal((await run.state()).stage, 'awaiting-shipment');
      await run.signal(...(await run.advance('delivered')));
      const result = await run.handle.result();
      assert.equal(result.status, 'delivered');
      assert.deepEqual(result.compensated, []);
      assert.equal((await run.ledger('warehouse', 'release.cancelled')).length, 0);
      assert.equal((await run.ledger('erpCloud', 'reservation.released')).length, 0);
      assert.equal((await run.ledger('erpCloud', 'reservation.consumed')).length, 1);
    });
  });
});
