import assert from 'node:assert/strict';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { buildActivities } from '../../src/activities';
import { createWorkers } from '../../src/workers/workers';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';
import { isolatedQueueEnv, runWorkersUntil, testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { systemQueuesOf } from '../workers/fake-activities';
import { paidByCard, pickCase, sharedEnv } from './refund-harness';

/**
 * No input wedges a workflow: every type, started through the Temporal client with malformed input or
 * lines its order does not have, fails at once with a ValidationError (never a workflow task retrying).
 */
describe('every workflow type refuses bad input as a failed process', function () {
  this.timeout(120_000);

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    await sharedEnv();
  });

  it('caseResolution, refund, replacement, orderSync, orderBackfill, reconciliation, systemCheck and intakeCursor', async () => {
    const [env, workflowBundle] = await sharedEnv();
    const sandbox = await startTestSandbox();
    const config = configFor(sandbox, isolatedQueueEnv('bad-input'));
    const activities = buildActivities(config);
    const taskQueues = systemQueuesOf(config);
    const { ctx, order } = pickCase(sandbox, paidByCard);
    const foreignSku = sandbox.world().products.find((p) => !order.lines.some((l) => l.sku === p.sku))!.sku;
    const line = order.lines[0];
    const cases: [type: string, input: unknown][] = [
      ['caseResolution', { caseNumber: 42 }],
      ['caseResolution', null],
      ['refund', {}],
      ['refund', { caseNumber: ctx.caseNumber, paymentId: 'pi_foreign' }],
      ['refund', { caseNumber: ctx.caseNumber, lines: [{ lineNumber: line.lineNumber, quantity: Number.MAX_SAFE_INTEGER }] }],
      ['refund', { caseNumber: ctx.caseNumber, taskQueues, lines: [{ lineNumber: 999, quantity: 1 }] }],
      ['refund', { caseNumber: ctx.caseNumber, taskQueues, lines: [{ lineNumber: line.lineNumber, quantity: line.quantity + 1 }] }],
      ['replacement', { caseNumber: 7 }],
      ['replacement', { caseNumber: ctx.caseNumber, lines: Array.from({ length: 201 }, (_, i) => ({ lineNumber: i + 1, quantity: 1 })) }],
      ['replacement', { caseNumber: ctx.caseNumber, taskQueues, lines: [{ lineNumber: line.lineNumber, quantity: 1, sku: foreignSku }] }],
      ['orderSync', { orderNumber: 5 }],
      ['orderSync', { orderNumber: order.orderNumber, settings: { coalesceWindow: 'soon' } }],
      ['orderBackfill', {}],
      ['orderBackfill', { since: 'yesterday' }],
      ['reconciliation', { businessDate: 'tomorrow' }],
      ['reconciliation', { businessDate: '2024-01-01', alertAfterAttempts: 'many' }],
      ['systemCheck', { caseNumber: ctx.caseNumber }],
      ['intakeCursor', { topic: 3 }],
      ['intakeCursor', { topic: '../../etc' }],
    ];
    try {
      const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities });
      await runWorkersUntil(workers, async () => {
        for (const [type, input] of cases) {
          const handle = await env.client.workflow.start(type, { taskQueue: config.taskQueues.orchestration, workflowId: uniqueName(`bad-input/${type}`), args: [input] });
          const what = `${type} ${JSON.stringify(input)?.slice(0, 120)}`;
          await assert.rejects(handle.result(), (err: unknown) => {
            assert.ok(err instanceof WorkflowFailedError, what);
            assert.ok(err.cause instanceof ApplicationFailure, `${what}: ${String(err.cause)}`);
            assert.equal(err.cause.type, 'ValidationError', `${what}: ${err.cause.message}`);
            return true;
          });
          const history = await handle.fetchHistory();
          assert.ok(!history.events?.some((e) => e.workflowTaskFailedEventAttributes), `${what}: no workflow task failed`);
        }
      });
      // Refused before anything was created: no money, stock or shipment moved.
      for (const system of ['payments', 'warehouse'] as const) assert.equal((await admin(sandbox.urls[system]!).ledger()).count, 0, system);
      const erp = (await admin(sandbox.urls.erpCloud!).ledger()).entries.filter((e) => !e.kind.startsWith('order.'));
      assert.deepEqual(erp, [], 'nothing reserved or created in the ERP');
    } finally {
      await activities.close();
      await sandbox.close();
    }
  });
});
