import assert from 'node:assert/strict';
import type { ProcessDescription } from '../../src/client';
import type { CaseResolutionState } from '../../src/workflows/case-resolution';
import { workflowIds } from '../../src/workflows/lib/case-context';
import type { RefundResult } from '../../src/workflows/refund';
import { admin } from '../helpers/sandbox';
import { userId } from '../helpers/users';
import { testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { systemQueuesOf } from '../workers/fake-activities';
import { eventually, openCase } from '../workflows/case-resolution-world';
import { noApproval } from '../workflows/refund-harness';
import { cliFixture, isOneLineError, jsonOf, type CliFixture } from './cli-harness';

/** The agent's choice, repairing a failed process with reset, and schedules, all through retailctl as a subprocess. */
describe('retailctl operations: choose, reset, schedules', function () {
  this.timeout(90_000);
  let fx: CliFixture;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    fx = await cliFixture('cli-ops', { policy: { ...noApproval, returnRequiredFor: [] } });
  });
  after(async () => {
    await fx?.close();
  });

  // The agent's-choice case refunds part of this order: the other tests keep off its payment.
  const seededOrdersInUse = () => [fx.sandbox.world().cases.find((c) => c.caseNumber === '00010005')!.orderNumber];

  // Other suites on the same server use the same seeded orders: the order and the (unique) case together single it out.
  it('starts a replacement from flags and finds it by order, case and type', async () => {
    const kase = fx.freshCase(seededOrdersInUse());
    const world = fx.sandbox.world();
    const line = world.orders.find((o) => o.orderNumber === kase.orderNumber)!.lines[0];
    const started = await fx.cli('start', 'replacement', '--case', kase.caseNumber, '--case-id', kase.caseId, '--lines', `${line.lineNumber}:1`, '--json');
    assert.equal(started.code, 0, started.stderr);
    const workflowId = workflowIds.replacement(kase.caseNumber);
    assert.deepEqual(jsonOf(started), { workflowId, runId: jsonOf(started).runId, existing: false, status: 'RUNNING' });
    try {
      // Visibility is written just after the start: a second look if the first comes too early.
      const listed = await eventually(async () => {
        const ids = jsonOf<{ workflowId: string }[]>(await fx.cli('list', '--order', kase.orderNumber, '--case', kase.caseNumber, '--type', 'replacement', '--json')).map((p) => p.workflowId);
        return ids.length ? ids : undefined;
      }, 10_000, 'the replacement in the list');
      assert.deepEqual(listed, [workflowId]);
    } finally {
      await fx.env.client.workflow.getHandle(workflowId).terminate('test over');
    }
  });

  it('starts a case resolution that waits for the agent; an invalid choice is exit 2, a valid one runs the refund to the end with --wait', async () => {
    const kase = openCase(fx.sandbox, '00010005');
    const workflowId = workflowIds.caseResolution(kase.caseNumber);
    const started = await fx.cli('start', 'case-resolution', '--case', kase.caseNumber, '--wait', '--json');
    assert.equal(started.code, 0, started.stderr);
    const waiting = jsonOf<{ workflowId: string; process: ProcessDescription }>(started);
    assert.deepEqual([waiting.workflowId, waiting.process.stage], [workflowId, 'awaiting-agent']);

    const invalid = await fx.cli('choose', kase.caseNumber, '--resolution', 'refund', '--agent', userId(fx.sandbox, 'agent'), '--lines', '999:1');
    assert.equal(invalid.code, 2, invalid.stderr);
    assert.ok(isOneLineError(invalid));
    assert.match(invalid.stderr, /InvalidChoiceError/);

    const chosen = await fx.cli('choose', kase.caseNumber, '--resolution', 'refund', '--agent', userId(fx.sandbox, 'agent'), '--lines', '10:1', '--note', 'goodwill', '--wait', '--json');
    assert.equal(chosen.code, 0, chosen.stderr);
    const answer = jsonOf<{ accepted: boolean; resolution: string; process: ProcessDescription }>(chosen);
    assert.deepEqual([answer.accepted, answer.resolution, answer.process.status], [true, 'refund', 'COMPLETED']);
    assert.equal((answer.process.state as CaseResolutionState).outcome, 'refunded');
  });

  it('a refund that failed on a fault (--wait exits 1) re-runs from the failed step after reset, under a new run id, and completes', async () => {
    const kase = fx.freshCase(seededOrdersInUse());
    const workflowId = workflowIds.refund(kase.caseNumber);
    // The finance ERP answers 404 once to the credit memo draft: a non-retryable failure before the pivot. Used up, it is the "repaired" fault.
    await admin(fx.sandbox.urls.erpLegacy!).fault({ kind: 'error', method: 'POST', path: '/legacy/finance', status: 404, count: 1 });
    const input = fx.file('failing.json', { caseNumber: kase.caseNumber, caseId: kase.caseId });
    const failed = await fx.cli('start', 'refund', '--input', input, '--wait', '--json');
    assert.equal(failed.code, 1, `a process that ended failed is exit 1: ${failed.stderr}`);
    const failedRun = jsonOf<{ runId: string; process: ProcessDescription }>(failed);
    assert.equal(failedRun.process.status, 'FAILED');

    const reset = await fx.cli('reset', workflowId, '--reason', 'ERP repaired', '--json');
    assert.equal(reset.code, 0, reset.stderr);
    const result = jsonOf<{ workflowId: string; previousRunId: string; runId: string; resetToEventId: number; failedEventType: string }>(reset);
    assert.equal(result.previousRunId, failedRun.runId);
    assert.ok(result.runId && result.runId !== failedRun.runId, 'a new run');
    assert.equal(result.failedEventType, 'ACTIVITY_TASK_FAILED');

    const rerun = (await fx.env.client.workflow.getHandle(workflowId, result.runId).result()) as RefundResult;
    assert.equal(rerun.status, 'refunded');
    const described = jsonOf<ProcessDescription>(await fx.cli('describe', workflowId, '--json'));
    assert.deepEqual([described.runId, described.status], [result.runId, 'COMPLETED']);
  });

  it('lists, unpauses, pauses and triggers a schedule; an unknown one is exit 3', async () => {
    const world = fx.sandbox.world();
    const order = world.orders.find((o) => o.orderNumber === world.cases[0].orderNumber)!;
    const scheduleId = uniqueName('cli-system-check');
    const handle = await fx.env.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1 hour' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'systemCheck',
        taskQueue: fx.config.taskQueues.orchestration,
        args: [{ caseNumber: world.cases[0].caseNumber, orderNumber: order.orderNumber, paymentId: order.paymentId, trackingNumber: 'none', taskQueues: systemQueuesOf(fx.config) }],
      },
      state: { paused: true, note: 'created by the test' },
    });
    try {
      await eventually(async () => {
        for await (const s of fx.env.client.schedule.list()) if (s.scheduleId === scheduleId) return true;
        return undefined;
      }, 20_000, 'the schedule to be listed');

      const [listed, human] = await Promise.all([fx.cli('schedules', 'list', '--json'), fx.cli('schedules', 'list')]);
      assert.equal(listed.code, 0, listed.stderr);
      const mine = jsonOf<{ scheduleId: string; workflowType: string; paused: boolean; spec: string }[]>(listed).find((s) => s.scheduleId === scheduleId);
      assert.deepEqual([mine?.workflowType, mine?.paused, mine?.spec], ['systemCheck', true, 'every 3600s']);
      assert.match(human.stdout, new RegExp(`${scheduleId}.*systemCheck.*yes`));

      const unpause = await fx.cli('schedules', 'unpause', scheduleId);
      assert.equal(unpause.code, 0, unpause.stderr);
      assert.equal((await handle.describe()).state.paused, false);
      const pause = await fx.cli('schedules', 'pause', scheduleId, '--note', 'maintenance');
      assert.equal(pause.code, 0, pause.stderr);
      assert.deepEqual([(await handle.describe()).state.paused, (await handle.describe()).state.note], [true, 'maintenance']);

      const [trigger, unknown] = await Promise.all([fx.cli('schedules', 'trigger', scheduleId, '--json'), fx.cli('schedules', 'unpause', uniqueName('no-such-schedule'))]);
      assert.equal(trigger.code, 0, trigger.stderr);
      assert.deepEqual(jsonOf(trigger), { scheduleId, triggered: true });
      await eventually(async () => ((await handle.describe()).info.numActionsTaken >= 1 ? true : undefined), 20_000, 'the triggered run');
      assert.equal(unknown.code, 3, unknown.stderr);
      assert.ok(isOneLineError(unknown));
    } finally {
      await handle.delete();
    }
  });

  it('cancels a process that is not a case\'s (operators are trusted here) and says what it cancels', async () => {
    const [forHuman, forScript] = [uniqueName('order/SO'), uniqueName('order/SO')];
    // No worker polls this queue: the orderSync processes stay as started until the cancel.
    const idle = uniqueName('idle');
    for (const workflowId of [forHuman, forScript]) await fx.env.client.workflow.start('orderSync', { taskQueue: idle, workflowId, args: [{}] });
    const [human, json] = await Promise.all([fx.cli('cancel', forHuman, '--reason', 'operator'), fx.cli('cancel', forScript, '--reason', 'operator', '--json')]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`cancelling orderSync process ${forHuman} \\(not a case process\\)`));
    assert.equal(json.code, 0, json.stderr);
    const answer = jsonOf<{ type: string; note: string }>(json);
    assert.deepEqual([answer.type, answer.note], ['orderSync', `cancelling orderSync process ${forScript} (not a case process)`]);
    for (const workflowId of [forHuman, forScript]) await fx.env.client.workflow.getHandle(workflowId).terminate('test over');
  });
});
