import assert from 'node:assert/strict';
import type { Workflow, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { configFromEnv, type Config } from '../../src/config';
import { eventsConfig } from '../../src/config/events';
import type { OrderEvent } from '../../src/domain/order-event';
import { defaultResolutionPolicy } from '../../src/domain/policy';
import { createWorkers } from '../../src/workers/workers';
import type { caseResolution } from '../../src/workflows/case-resolution';
import { orderEventSignal, orderSyncWorkflowId, type orderSync } from '../../src/workflows/order-sync';
import { approveRefundUpdate, refundStateQuery, type refund } from '../../src/workflows/refund';
import { replacementStateQuery, shipmentEventSignal, type replacement, type ShipmentEvent } from '../../src/workflows/replacement';
import { testCodecEnv } from '../helpers/codec';
import { getWorkflowBundle, isolatedQueueEnv, runWorkersUntil, uniqueName } from '../helpers/temporal';
import { getTimeSkippingEnv, teardownTimeSkippingEnv, timeSkippingEnvTimeoutMs } from '../helpers/time-skipping';
import { systemQueuesOf } from '../workers/fake-activities';
import { fakeWorld, supervisorId, type FakeWorld, type FakeWorldOptions } from './timer-fakes';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ms = (duration: string) => {
  const [, value, unit] = /^(\d+)\s*(\w+)$/.exec(duration)!;
  return Number(value) * (unit.startsWith('day') ? DAY : unit.startsWith('hour') ? HOUR : unit.startsWith('min') ? 60_000 : 1_000);
};

/**
 * The long waits of the processes at their production lengths (src/domain/policy.ts, src/config),
 * on Temporal's time-skipping test server with stand-in activities: a 14-day delivery window runs in
 * seconds. What the sandbox tests prove about the systems, these prove about the clock: which timer
 * the workflow starts, when the escalation happens in workflow time, and what happens after it.
 */
describe('production-length timers (time-skipping server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;

  before(async function () {
    this.timeout(timeSkippingEnvTimeoutMs);
    [env, workflowBundle] = await Promise.all([getTimeSkippingEnv(), getWorkflowBundle()]);
  });
  // The JVM is not needed by the rest of the run.
  after(() => teardownTimeSkippingEnv());

  /**
   * Fresh queues and stand-in systems for one test; `fn` runs while the workers serve them. Workflows
   * still open at the end are terminated: their timers would otherwise hold the shared clock for the next test.
   */
  async function withWorld<T>(options: Omit<FakeWorldOptions, 'now'>, fn: (world: FakeWorld, start: Starter, ctx: { config: Config; started: string[] }) => Promise<T>): Promise<T> {
    const config = configFromEnv({ ...testCodecEnv, ...isolatedQueueEnv('timers'), LOG_LEVEL: 'warn' });
    const world = fakeWorld({ ...options, now: await env.currentTimeMs() });
    const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities: world.activities });
    const started: string[] = [];
    const start: Starter = (type, args, workflowId = uniqueName(`${type}/timers`)) => {
      started.push(workflowId);
      return env.client.workflow.start(type, { taskQueue: config.taskQueues.orchestration, workflowId, args: [{ ...args, taskQueues: systemQueuesOf(config) }] });
    };
    return runWorkersUntil(workers, async () => {
      try {
        return await fn(world, start, { config, started });
      } finally {
        await Promise.all(started.map((id) => env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined)));
      }
    });
  }

  /** The durations of the timers the workflow started, and when it started and closed (workflow time). */
  async function timeline(handle: WorkflowHandle) {
    const { events } = await handle.fetchHistory();
    const at = (i: number) => Number(events![i].eventTime!.seconds) * 1000 + Math.floor((events![i].eventTime!.nanos ?? 0) / 1e6);
    const timers = events!.flatMap((e) => (e.timerStartedEventAttributes ? [Number(e.timerStartedEventAttributes.startToFireTimeout!.seconds) * 1000] : []));
    return { timers, startedAt: at(0), closedAt: at(events!.length - 1) };
  }

  const policy = defaultResolutionPolicy;

  describe('refund approval', () => {
    it(`escalates after ${policy.approvalTimeout} without a decision, then applies the default (${policy.defaultOnApprovalTimeout}) after ${policy.escalationTimeout} more`, async () => {
      await withWorld({ caseNumber: uniqueName('TS'), reason: 'damaged-item', total: 30_000 }, async (world, start) => {
        const handle = await start<typeof refund>('refund', { caseNumber: world.caseNumber });
        const result = await handle.result();

        assert.equal(result.status, policy.defaultOnApprovalTimeout === 'reject' ? 'rejected' : 'refunded');
        assert.deepEqual(result.approval, { required: true, decision: policy.defaultOnApprovalTimeout, decidedBy: 'policy-default' });
        const { timers, startedAt, closedAt } = await timeline(handle);
        assert.ok(timers.includes(ms(policy.approvalTimeout)) && timers.includes(ms(policy.escalationTimeout)), `timers ${timers.join(', ')} ms`);

        const [task, ...more] = world.callsOf('createSalesforceEscalationTask');
        assert.equal(more.length, 0, 'one escalation');
        assert.ok(task.at - startedAt >= ms(policy.approvalTimeout) && task.at - startedAt < ms(policy.approvalTimeout) + HOUR, `escalated ${(task.at - startedAt) / HOUR} h after the start`);
        const escalated = world.callsOf('updateSalesforceCase').filter((c) => (c.args[0] as { update: { status?: string } }).update.status === 'Escalated');
        assert.equal(escalated.length, 1);
        assert.ok(closedAt - startedAt >= ms(policy.approvalTimeout) + ms(policy.escalationTimeout), `closed ${(closedAt - startedAt) / HOUR} h after the start`);
        if (policy.defaultOnApprovalTimeout === 'reject') assert.equal(world.callsOf('refundPayment').length, 0, 'no money moved');
      });
    });

    it('a supervisor who approves during the escalation window still refunds, once, without the default', async () => {
      await withWorld({ caseNumber: uniqueName('TS'), reason: 'damaged-item', total: 30_000 }, async (world, start) => {
        const handle = await start<typeof refund>('refund', { caseNumber: world.caseNumber });
        await env.sleep(ms(policy.approvalTimeout) + 6 * HOUR);
        const waiting = await handle.query(refundStateQuery);
        assert.equal(waiting.stage, 'approval-escalated');
        assert.equal(waiting.approval?.escalated, true);

        const answer = await handle.executeUpdate(approveRefundUpdate, { args: [{ decision: 'approve', approver: supervisorId, caller: 'test' }] });
        assert.equal(answer.decision, 'approve');
        const result = await handle.result();

        assert.equal(result.status, 'refunded');
        assert.equal(result.approval?.decidedBy, 'supervisor');
        assert.equal(world.callsOf('createSalesforceEscalationTask').length, 1);
        const [paid, ...again] = world.callsOf('refundPayment');
        assert.equal(again.length, 0, 'one payment refund');
        const { startedAt } = await timeline(handle);
        assert.ok(paid.at - startedAt >= ms(policy.approvalTimeout) && paid.at - startedAt < ms(policy.approvalTimeout) + ms(policy.escalationTimeout), 'paid inside the escalation window');
      });
    });
  });

  describe('case resolution: the agent\'s choice', () => {
    it(`escalates after ${policy.agentChoiceTimeout} without a choice and closes the case without action after ${policy.agentChoiceTimeout} more`, async () => {
      await withWorld({ caseNumber: uniqueName('TS'), reason: 'other' }, async (world, start) => {
        const handle = await start<typeof caseResolution>('caseResolution', { caseNumber: world.caseNumber });
        const summary = await handle.result();

        assert.equal(summary.outcome, 'no-action');
        assert.equal(summary.decidedBy, 'policy');
        assert.equal(summary.rule, 'agent-choice-timeout');
        const { timers, startedAt, closedAt } = await timeline(handle);
        assert.equal(timers.filter((t) => t === ms(policy.agentChoiceTimeout)).length, 2, `timers ${timers.join(', ')} ms`);
        const [task, ...more] = world.callsOf('createSalesforceEscalationTask');
        assert.equal(more.length, 0, 'one escalation');
        assert.ok(task.at - startedAt >= ms(policy.agentChoiceTimeout) && task.at - startedAt < ms(policy.agentChoiceTimeout) + HOUR, `escalated ${(task.at - startedAt) / HOUR} h after the start`);
        const closed = world.callsOf('updateSalesforceCase').filter((c) => (c.args[0] as { update: { status?: string } }).update.status === 'Closed');
        assert.equal(closed.length, 1);
        assert.ok(closed[0].at - startedAt >= 2 * ms(policy.agentChoiceTimeout), `closed ${(closed[0].at - startedAt) / HOUR} h after the start`);
        assert.ok(closedAt - startedAt < 2 * ms(policy.agentChoiceTimeout) + HOUR);
      });
    });
  });

  describe('replacement: shipping and delivery windows', () => {
    it(`escalates a parcel not shipped within ${policy.replacementShipWithin} and not delivered within ${policy.replacementDeliverWithin}, once each, then completes on delivery`, async () => {
      await withWorld({ caseNumber: uniqueName('TS'), reason: 'damaged-item' }, async (world, start) => {
        const handle = await start<typeof replacement>('replacement', { caseNumber: world.caseNumber });
        const milestone = async (type: ShipmentEvent['type']) =>
          handle.signal(shipmentEventSignal, { eventId: `wms-${type}`, type, releaseId: 'REL-1', trackingNumber: '1Z999', carrier: 'UPS', occurredAt: new Date(await env.currentTimeMs()).toISOString() });

        await env.sleep(ms(policy.replacementShipWithin) + 12 * HOUR);
        const late = await handle.query(replacementStateQuery);
        assert.equal(late.stage, 'awaiting-shipment');
        assert.deepEqual(late.escalations, ['not-shipped-in-time']);
        const { startedAt } = await timeline(handle);
        const [notShipped] = world.callsOf('createSalesforceEscalationTask');
        assert.ok(notShipped.at - startedAt >= ms(policy.replacementShipWithin) && notShipped.at - startedAt < ms(policy.replacementShipWithin) + HOUR, `escalated ${(notShipped.at - startedAt) / HOUR} h after the start`);
        assert.ok(world.callsOf('getWarehouseRelease')[0].at <= notShipped.at, 'the warehouse is asked before the case is escalated');

        const shippedAt = await env.currentTimeMs();
        await milestone('shipped');
        await env.sleep(ms(policy.replacementDeliverWithin) + DAY);
        const overdue = await handle.query(replacementStateQuery);
        assert.equal(overdue.stage, 'in-transit');
        assert.deepEqual(overdue.escalations, ['not-shipped-in-time', 'not-delivered-in-time']);
        const [, notDelivered, ...more] = world.callsOf('createSalesforceEscalationTask');
        assert.equal(more.length, 0);
        assert.ok(notDelivered.at - shippedAt >= ms(policy.replacementDeliverWithin) && notDelivered.at - shippedAt < ms(policy.replacementDeliverWithin) + HOUR, `escalated ${(notDelivered.at - shippedAt) / DAY} days after shipping`);

        await milestone('delivered');
        const result = await handle.result();
        assert.equal(result.status, 'delivered');
        assert.equal(result.trackingNumber, '1Z999');
        assert.deepEqual(result.escalations, ['not-shipped-in-time', 'not-delivered-in-time']);
        const { timers } = await timeline(handle);
        assert.ok(timers.includes(ms(policy.replacementShipWithin)) && timers.includes(ms(policy.replacementDeliverWithin)), `timers ${timers.join(', ')} ms`);
      });
    });
  });

  describe('order sync: the close grace', () => {
    const settings = eventsConfig().orderSync;

    it(`closes a complete order after ${settings.closeAfterCompleteGrace} without events; an event inside the grace starts it again`, async () => {
      await withWorld({ caseNumber: uniqueName('TS'), reason: 'other' }, async (world, _start, { config, started }) => {
        const orderNumber = world.order.orderNumber;
        started.push(orderSyncWorkflowId(orderNumber));
        const event = async (e: Pick<OrderEvent, 'eventId' | 'source' | 'type'> & Partial<OrderEvent>): Promise<OrderEvent> => ({ orderNumber, occurredAt: new Date(await env.currentTimeMs()).toISOString(), ...e });
        const handle = await env.client.workflow.signalWithStart<typeof orderSync, OrderEvent[]>('orderSync', {
          workflowId: orderSyncWorkflowId(orderNumber),
          taskQueue: config.taskQueues.orchestration,
          args: [{ orderNumber, settings, taskQueues: systemQueuesOf(config) }],
          signal: orderEventSignal,
          signalArgs: [await event({ eventId: 'erp-4', source: 'erp', type: 'order.status_changed', sequence: 4, status: 'delivered' })],
        });
        const grace = ms(settings.closeAfterCompleteGrace);
        await env.sleep(grace - 10 * 60_000);
        assert.equal((await handle.describe()).status.name, 'RUNNING', 'still open inside the grace');
        const lateAt = await env.currentTimeMs();
        await handle.signal(orderEventSignal, await event({ eventId: 'ups-1', source: 'carrier', type: 'shipment.delivered', shipment: { trackingNumber: '1Z999', carrier: 'UPS', milestone: 'delivered' } }));
        const state = await handle.result();

        assert.equal(state.status, 'delivered');
        assert.equal(state.shipment.milestone, 'delivered');
        assert.equal(world.callsOf('upsertSalesforceOrderStatus').length, 2, 'one write per change');
        const { timers, closedAt } = await timeline(handle);
        assert.equal(timers.filter((t) => t === grace).length, 2, `timers ${timers.join(', ')} ms`);
        assert.ok(closedAt - lateAt >= grace && closedAt - lateAt < grace + 5 * 60_000, `closed ${(closedAt - lateAt) / 60_000} min after the last event`);
      });
    });
  });
});

type Starter = <W extends Workflow>(type: string, args: Record<string, unknown>, workflowId?: string) => Promise<WorkflowHandle<W>>;
