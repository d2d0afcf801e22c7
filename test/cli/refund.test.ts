import assert from 'node:assert/strict';
import type { ProcessDescription } from '../../src/client';
import { workflowIds, type CaseContext } from '../../src/workflows/lib/case-context';
import type { RefundResult, RefundState } from '../../src/workflows/refund';
import { admin } from '../helpers/sandbox';
import { supervisorFor } from '../helpers/users';
import { testEnvTimeoutMs } from '../helpers/temporal';
import { alwaysApproval } from '../workflows/refund-harness';
import { cliFixture, isOneLineError, jsonOf, type CliFixture } from './cli-harness';

type Started = { workflowId: string; runId: string; existing: boolean; status: string; process?: ProcessDescription };

/** Refunds driven through retailctl as a subprocess, against the dev server, the real workers and the sandbox. */
describe('retailctl drives refunds', function () {
  this.timeout(90_000);
  let fx: CliFixture;
  // A supervisor whose limit covers the case's order, in its currency.
  const supervisorOf = (kase: CaseContext) => supervisorFor(fx.sandbox, fx.sandbox.world().orders.find((o) => o.orderNumber === kase.orderNumber)!.currency);

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    // Every refund waits for a supervisor, and none needs the goods back (the deployment's policy).
    fx = await cliFixture('cli-refund', { policy: { ...alwaysApproval, returnRequiredFor: [] } });
  });
  after(async () => {
    await fx?.close();
  });

  /** `start refund --input file --wait`: settles where the refund waits for a supervisor. */
  async function startAwaitingApproval(kase: CaseContext): Promise<Started> {
    const input = fx.file(`${kase.caseNumber}.json`, { caseNumber: kase.caseNumber, caseId: kase.caseId });
    const result = await fx.cli('start', 'refund', '--input', input, '--wait', '--json');
    assert.equal(result.code, 0, result.stderr);
    const started = jsonOf<Started>(result);
    assert.equal(started.process?.stage, 'awaiting-approval', result.stdout);
    return started;
  }

  const resultOf = (workflowId: string) => fx.env.client.workflow.getHandle(workflowId).result() as Promise<RefundResult>;

  it('starts from a file, is found by case and store, describes itself, and completes once approved with --wait', async () => {
    const kase = fx.freshCase();
    const workflowId = workflowIds.refund(kase.caseNumber);
    const started = await startAwaitingApproval(kase);
    assert.deepEqual([started.workflowId, started.existing, started.process?.status], [workflowId, false, 'RUNNING']);

    const [again, byCase, byStore, human, described] = await Promise.all([
      fx.cli('start', 'refund', '--input', fx.file('again.json', { caseNumber: kase.caseNumber }), '--json'),
      fx.cli('list', '--case', kase.caseNumber, '--json'),
      fx.cli('list', '--store', kase.storeId, '--type', 'refund', '--status', 'running', '--stage', 'awaiting-approval', '--json'),
      fx.cli('list', '--case', kase.caseNumber),
      fx.cli('describe', workflowId, '--json'),
    ]);
    assert.deepEqual(jsonOf<Started>(again), { workflowId, runId: started.runId, existing: true, status: 'RUNNING' }, 'a second start answers the same process');
    const listed = jsonOf<{ workflowId: string; type: string; status: string; caseNumber: string; storeId: string }[]>(byCase);
    assert.deepEqual(
      listed.map((p) => [p.workflowId, p.type, p.status, p.caseNumber, p.storeId]),
      [[workflowId, 'refund', 'Running'.toUpperCase(), kase.caseNumber, kase.storeId]],
    );
    assert.ok(jsonOf<{ workflowId: string }[]>(byStore).some((p) => p.workflowId === workflowId), byStore.stdout);
    assert.match(human.stdout, new RegExp(`${workflowId}.*refund.*RUNNING.*awaiting-approval`));

    const d = jsonOf<ProcessDescription>(described);
    assert.deepEqual([d.workflowId, d.runId, d.type, d.status, d.stage], [workflowId, started.runId, 'refund', 'RUNNING', 'awaiting-approval']);
    assert.deepEqual([d.searchAttributes.CaseNumber, d.searchAttributes.OrderNumber, d.searchAttributes.StoreId, d.searchAttributes.Region], [kase.caseNumber, kase.orderNumber, kase.storeId, kase.region]);
    assert.equal((d.state as RefundState).approval?.awaiting, true);
    assert.ok(Date.parse(d.startTime) > 0 && d.closeTime === undefined);

    const sam = supervisorOf(kase);
    const approved = await fx.cli('approve', kase.caseNumber, '--approver', sam, '--note', 'ok', '--wait', '--json');
    assert.equal(approved.code, 0, approved.stderr);
    const answer = jsonOf<{ decision: string; approver: string; caller: string; process: ProcessDescription }>(approved);
    assert.deepEqual([answer.decision, answer.approver, answer.caller, answer.process.status, (answer.process.state as RefundState).stage], ['approve', sam, 'retailctl', 'COMPLETED', 'refunded']);
    const refunds = (await admin(fx.sandbox.urls.payments!).ledger({ kind: 'refund.created' })).entries.filter((e) => e.idempotencyKey?.startsWith(workflowId.replace(/\//g, ':')));
    assert.equal(refunds.length, 1, 'exactly one refund');

    const [late, noFailure] = await Promise.all([fx.cli('approve', kase.caseNumber, '--approver', sam), fx.cli('reset', workflowId)]);
    assert.equal(late.code, 1, 'deciding a closed refund fails');
    assert.match(late.stderr, /already closed \(COMPLETED\)/);
    assert.equal(noFailure.code, 1, 'nothing failed: nothing to reset to');
    assert.ok(isOneLineError(late) && isOneLineError(noFailure));
  });

  it('started from flags: the workflow refuses a malformed update (exit 1), then reject ends it; a signal approves another', async () => {
    const [rejected, signalled] = [fx.freshCase(), fx.freshCase()];
    const flags = (k: CaseContext) => ['--case', k.caseNumber, '--case-id', k.caseId];
    const [a, b] = await Promise.all([
      fx.cli('start', 'refund', ...flags(rejected), '--wait', '--json'),
      fx.cli('start', 'refund', ...flags(signalled), '--json'),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(jsonOf<Started>(a).process?.stage, 'awaiting-approval');
    assert.equal(b.code, 0, b.stderr);

    const [malformed, signal] = await Promise.all([
      fx.cli('update', workflowIds.refund(rejected.caseNumber), 'approveRefund', '--input', JSON.stringify({ decision: 'maybe', approver: supervisorOf(rejected) })),
      fx.cli('signal', workflowIds.refund(signalled.caseNumber), 'refundApproval', '--input', JSON.stringify({ decision: 'approve', approver: supervisorOf(signalled) }), '--json'),
    ]);
    assert.equal(malformed.code, 1, malformed.stderr);
    assert.ok(isOneLineError(malformed));
    assert.match(malformed.stderr, /update rejected/);
    assert.equal(signal.code, 0, signal.stderr);
    assert.deepEqual(jsonOf(signal), { workflowId: workflowIds.refund(signalled.caseNumber), signal: 'refundApproval', sent: true });

    const reject = await fx.cli('reject', rejected.caseNumber, '--approver', supervisorOf(rejected), '--json');
    assert.equal(reject.code, 0, reject.stderr);
    assert.deepEqual([jsonOf(reject).decision, jsonOf(reject).approver], ['reject', supervisorOf(rejected)]);
    const [afterReject, afterSignal] = await Promise.all([resultOf(workflowIds.refund(rejected.caseNumber)), resultOf(workflowIds.refund(signalled.caseNumber))]);
    assert.equal(afterReject.status, 'rejected');
    assert.deepEqual([afterSignal.status, afterSignal.approval?.approver], ['refunded', supervisorOf(signalled)]);
  });

  it('cancel undoes a waiting refund (exit 0, then 1 once closed); terminate stops another at once', async () => {
    const [cancelled, terminated] = [fx.freshCase(), fx.freshCase()];
    await Promise.all([startAwaitingApproval(cancelled), startAwaitingApproval(terminated)]);
    const [cancel, terminate] = await Promise.all([
      fx.cli('cancel', workflowIds.refund(cancelled.caseNumber), '--reason', 'customer withdrew', '--json'),
      fx.cli('terminate', workflowIds.refund(terminated.caseNumber), '--reason', 'operator test'),
    ]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.deepEqual(jsonOf(cancel), { workflowId: workflowIds.refund(cancelled.caseNumber), type: 'refund', reason: 'customer withdrew', cancelRequested: true });
    assert.equal(terminate.code, 0, terminate.stderr);
    assert.match(terminate.stdout, /terminated/);

    assert.equal((await resultOf(workflowIds.refund(cancelled.caseNumber))).status, 'cancelled');
    const [again, described] = await Promise.all([fx.cli('cancel', workflowIds.refund(cancelled.caseNumber), '--reason', 'twice'), fx.cli('describe', workflowIds.refund(terminated.caseNumber), '--json')]);
    assert.equal(again.code, 1, 'a closed process cannot be cancelled');
    assert.equal(jsonOf<ProcessDescription>(described).status, 'TERMINATED');
  });
});
