import assert from 'node:assert/strict';
import type { Sandbox } from '../../sandbox';
import { createSalesforceConnector } from '../../src/connectors/salesforce';
import { toOrderEvent, type OrderEvent } from '../../src/domain/order-event';
import { proactiveKey } from '../../src/domain/proactive-service';
import { orderEventSignal, orderSync, orderSyncStateQuery, orderSyncWorkflowId, type OrderSyncInput } from '../../src/workflows/order-sync';
import { eventually } from './case-resolution-world';
import { orderSyncWorld } from './order-sync-world';

type SfRecord = Record<string, unknown>;

/** The Salesforce sandbox's records of one object. */
async function records(sandbox: Sandbox, object: string): Promise<SfRecord[]> {
  const state = (await (await fetch(`${sandbox.urls.salesforce}/__sandbox/state`)).json()) as { records: Record<string, Record<string, SfRecord>> };
  return Object.values(state.records[object] ?? {});
}

/** Events as each sender sends them, mapped the way the API maps them. */
function event(source: OrderEvent['source'], raw: Record<string, unknown>): OrderEvent {
  const parsed = toOrderEvent(source, raw);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.event;
}

/** A carrier exception or a late delivery seen by orderSync opens a Case, or a Task on the order's open Case, once per order and finding. */
describe('orderSync: proactive service cases', function () {
  this.timeout(90_000);
  const fx = orderSyncWorld('proactive');

  const start = (orderNumber: string) => {
    const { orchestration, salesforce, erp, warehouse, payments } = fx.config.taskQueues;
    const input: OrderSyncInput = { orderNumber, settings: { coalesceWindow: '200 ms', maxCoalesceWindow: '1 second', closeAfterCompleteGrace: '1 hour' }, taskQueues: { salesforce, erp, warehouse, payments } };
    return (...events: OrderEvent[]) => fx.env.client.workflow.signalWithStart(orderSync, { workflowId: orderSyncWorkflowId(orderNumber), taskQueue: orchestration, args: [input], signal: orderEventSignal, signalArgs: events });
  };
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

  it('opens one Case with the facts for a carrier exception on an order without a case, however often the exception is reported', async () => {
    const world = fx.sandbox.world();
    const withCase = new Set(world.cases.map((c) => c.orderNumber));
    const order = world.orders.filter((o) => o.status === 'shipped' && o.trackingNumber && !withCase.has(o.orderNumber)).at(-3)!;
    const n = order.orderNumber;
    const send = start(n);
    const exception = (id: string, at: string) => event('carrier', { id, type: 'tracking.updated', orderNumber: n, trackingNumber: order.trackingNumber, carrier: 'UPS', milestone: 'exception', location: 'Memphis, TN', occurredAt: at });
    await send(exception('trk-1', minutesAgo(30)));
    const handle = fx.env.client.workflow.getHandle(orderSyncWorkflowId(n));
    const opened = await eventually(async () => {
      const s = await handle.query(orderSyncStateQuery);
      return s.proactive.opened.length ? s : undefined;
    }, 30_000, 'the exception raised');
    // The same exception again (a new scan id, the same parcel) and the first event repeated: nothing more.
    await send(exception('trk-2', minutesAgo(20)), exception('trk-1', minutesAgo(30)));
    const after = await eventually(async () => {
      const s = await handle.query(orderSyncStateQuery);
      return s.events.received === 3 && !s.pendingChange ? s : undefined;
    }, 30_000, 'the repeats folded');
    assert.equal(after.proactive.opened.length, 1);
    assert.deepEqual(after.proactive.pending, []);

    const key = proactiveKey('carrier-exception', n, order.trackingNumber!);
    const cases = (await records(fx.sandbox, 'Case')).filter((c) => c.Order_Number__c === n);
    assert.equal(cases.length, 1, 'one Case for the order');
    const [kase] = cases;
    assert.equal(kase.Id, opened.proactive.opened[0].caseId);
    assert.equal(opened.proactive.opened[0].via, 'case');
    assert.equal(kase.Retail_Key__c, key);
    assert.equal(kase.Origin, 'Proactive');
    assert.equal(kase.Priority, 'High');
    assert.match(String(kase.Subject), new RegExp(`Carrier exception on order ${n} \\(UPS ${order.trackingNumber}\\)`));
    assert.match(String(kase.Description), new RegExp(`Tracking: UPS ${order.trackingNumber}`));
    assert.match(String(kase.Description), /Last scan: exception at Memphis, TN/);
    const account = (await records(fx.sandbox, 'Account')).find((a) => a.Customer_Id__c === order.customerId);
    assert.equal(kase.AccountId, account?.Id, 'the Case is the customer\'s');
    assert.equal((await records(fx.sandbox, 'Task')).filter((t) => t.Retail_Key__c === key).length, 0);
    await handle.terminate('test done');
  });

  it('adds one Task to the order\'s open Case when the carrier\'s estimate passes the promised date, and not again on the late delivery', async () => {
    const world = fx.sandbox.world();
    const seeded = world.cases.at(-2)!;
    const n = seeded.orderNumber;
    const send = start(n);
    const promised = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const later = new Date(Date.now() + 4 * 86_400_000).toISOString();
    await send(
      event('erp', { id: `erp-${n}-promise`, type: 'order.status_changed', orderNumber: n, status: 'SHIPPED', promisedDeliveryBy: promised, sequence: 1_000, occurredAt: minutesAgo(40) }),
      event('carrier', { id: 'eta-1', type: 'tracking.updated', orderNumber: n, trackingNumber: 'TRK-PROMISE-1', carrier: 'FedEx', milestone: 'in_transit', estimatedDelivery: later, occurredAt: minutesAgo(30) }),
    );
    const handle = fx.env.client.workflow.getHandle(orderSyncWorkflowId(n));
    const raised = await eventually(async () => {
      const s = await handle.query(orderSyncStateQuery);
      return s.proactive.opened.length ? s : undefined;
    }, 30_000, 'the late delivery raised');
    const kase = (await records(fx.sandbox, 'Case')).find((c) => c.CaseNumber === seeded.caseNumber)!;
    assert.deepEqual({ via: raised.proactive.opened[0].via, caseId: raised.proactive.opened[0].caseId }, { via: 'task', caseId: kase.Id });

    // Delivered after the promise: the same promise, so no second Task; a Case count that did not move.
    const casesBefore = (await records(fx.sandbox, 'Case')).length;
    await send(event('carrier', { id: 'eta-2', type: 'tracking.updated', orderNumber: n, trackingNumber: 'TRK-PROMISE-1', carrier: 'FedEx', milestone: 'delivered', occurredAt: new Date().toISOString() }));
    await eventually(async () => {
      const s = await handle.query(orderSyncStateQuery);
      return s.events.received === 3 && !s.pendingChange ? s : undefined;
    }, 30_000, 'the delivery folded');
    const key = proactiveKey('late-delivery', n, promised);
    const tasks = (await records(fx.sandbox, 'Task')).filter((t) => t.WhatId === kase.Id && String(t.Retail_Key__c).startsWith('proactive:'));
    assert.equal(tasks.length, 1, 'one Task on the open Case');
    assert.equal(tasks[0].Retail_Key__c, key);
    assert.equal(tasks[0].Priority, 'High');
    assert.match(String(tasks[0].Subject), new RegExp(`Order ${n} will arrive later than promised`));
    assert.match(String(tasks[0].Description), new RegExp(`Promised by: ${promised}[\\s\\S]*Carrier estimate: ${later}`));
    assert.equal((await records(fx.sandbox, 'Case')).length, casesBefore, 'no new Case');
    await handle.terminate('test done');
  });

  it('raises a late delivery when the promised moment passes with no delivery and no carrier estimate', async () => {
    const world = fx.sandbox.world();
    const withCase = new Set(world.cases.map((c) => c.orderNumber));
    const order = world.orders.filter((o) => o.status === 'shipped' && !withCase.has(o.orderNumber)).at(-5)!;
    const n = order.orderNumber;
    const promised = new Date(Date.now() + 3_000).toISOString();
    await start(n)(event('erp', { id: `erp-${n}-soon`, type: 'order.status_changed', orderNumber: n, status: 'SHIPPED', promisedDeliveryBy: promised, sequence: 1_000, occurredAt: minutesAgo(10) }));
    const handle = fx.env.client.workflow.getHandle(orderSyncWorkflowId(n));
    const early = await handle.query(orderSyncStateQuery);
    assert.equal(early.proactive.opened.length, 0, 'nothing before the promise passes');
    const raised = await eventually(async () => {
      const s = await handle.query(orderSyncStateQuery);
      return s.proactive.opened.length ? s : undefined;
    }, 30_000, 'the passed promise raised');
    assert.equal(raised.proactive.opened[0].via, 'case');
    assert.ok(Date.now() >= Date.parse(promised), 'not before the promise');
    const kase = (await records(fx.sandbox, 'Case')).find((c) => c.Retail_Key__c === proactiveKey('late-delivery', n, promised))!;
    assert.equal(kase.Order_Number__c, n);
    assert.match(String(kase.Description), new RegExp(`Promised by: ${promised}`));
    await handle.terminate('test done');
  });

  it('answers the same record when a finding is opened again (a retry after a lost answer), and Salesforce refuses a second Case under the key', async () => {
    const sf = createSalesforceConnector(fx.config);
    const n = 'SO-PROACTIVE-TEST-1';
    const finding = { key: proactiveKey('carrier-exception', n, 'TRK-X'), kind: 'carrier-exception' as const, orderNumber: n, trackingNumber: 'TRK-X', carrier: 'DHL', milestone: 'exception', seenAt: minutesAgo(5) };
    const first = await sf.openProactiveCase(finding);
    const again = await sf.openProactiveCase(finding);
    assert.deepEqual([first.via, first.created], ['case', true]);
    assert.deepEqual(again, { via: 'case', caseId: first.caseId, created: false });
    // Retail_Key__c is unique: a plain create with the same key is a DUPLICATE_VALUE, as in a real org.
    const session = await sf.session();
    const res = await fetch(`${session.instanceUrl}/services/data/v62.0/sobjects/Case`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Subject: 'copy', Retail_Key__c: finding.key }),
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { errorCode: string }[])[0].errorCode, 'DUPLICATE_VALUE');
    assert.equal((await records(fx.sandbox, 'Case')).filter((c) => c.Order_Number__c === n).length, 1);
  });
});
