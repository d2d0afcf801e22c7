import assert from 'node:assert/strict';
import type { Workflow, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { configFromEnv } from '../../src/config';
import { defaultResolutionPolicy } from '../../src/domain/policy';
import { createWorkers } from '../../src/workers/workers';
import { approveRefundUpdate, refundStateQuery, type refund } from '../../src/workflows/refund';
import { testCodecEnv } from '../helpers/codec';
import { getWorkflowBundle, isolatedQueueEnv, runWorkersUntil, uniqueName } from '../helpers/temporal';
import { getTimeSkippingEnv, timeSkippingEnvTimeoutMs } from '../helpers/time-skipping';
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

  /** Fresh queues and stand-in systems for one test; `fn` runs while the workers serve them. */
  async function withWorld<T>(options: FakeWorldOptions, fn: (world: FakeWorld, start: Starter) => Promise<T>): Promise<T> {
    const config = configFromEnv({ ...testCodecEnv, ...isolatedQueueEnv('timers'), LOG_LEVEL: 'warn' });
    const world = fakeWorld(options);
    const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities: world.activities });
    const start: Starter = (type, args, workflowId = uniqueName(`${type}/timers`)) =>
      env.client.workflow.start(type, { taskQueue: config.taskQueues.orchestration, workflowId, args: [{ ...args, taskQueues: systemQueuesOf(config) }] });
    return runWorkersUntil(workers, () => fn(world, start));
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
});

type Starter = <W extends Workflow>(type: string, args: Record<string, unknown>, workflowId?: string) => Promise<WorkflowHandle<W>>;
