import assert from 'node:assert/strict';
import { admin } from '../helpers/sandbox';
import { supervisorFor, userId } from '../helpers/users';
import { testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { eventually, openCase } from '../workflows/case-resolution-world';
import { assertProblem, caseFor, keys, paidByCard, segmentOf, startApiWorld, type ApiWorld, type Reply } from './api-world';

/** GET /v1/processes/{id} and approval, decision, cancel over a socket, with the real workers. */
describe('HTTP API: reading and steering processes', function () {
  this.timeout(60_000);
  let world: ApiWorld;
  const processUrl = (workflowId: string) => `/v1/processes/${encodeURIComponent(workflowId)}`;
  const waitForStage = (workflowId: string, stage: string) =>
    eventually(async () => {
      const p = await world.call('GET', processUrl(workflowId), { key: keys.reader });
      return p.body.stage === stage ? p : undefined;
    }, 30_000, `stage ${stage}`);
  const waitClosed = (workflowId: string) =>
    eventually(async () => {
      const p = await world.call('GET', processUrl(workflowId), { key: keys.reader });
      return p.status === 200 && p.body.status !== 'RUNNING' ? p : undefined;
    }, 30_000, 'the process to close');

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    world = await startApiWorld({ workers: true });
  });
  after(async () => {
    await world?.close();
  });

  it('approves a refund waiting for a supervisor: 200 with the decision, the refund is paid once, then the closed process answers 409', async () => {
    const sandbox = world.sandbox!;
    // Above the default approval threshold, no loyalty auto-approval: the refund waits for a supervisor.
    const kase = caseFor(sandbox, (o, w) => paidByCard(o, w) && o.total > 30_000 && segmentOf(o, w) === 'standard');
    const started = await world.call('POST', '/v1/refunds', { key: keys.flow, body: { caseNumber: kase.caseNumber, caseId: kase.caseId } });
    assert.equal(started.status, 202, started.text);
    const workflowId = String(started.body.workflowId);

    const waiting = await waitForStage(workflowId, 'awaiting-approval');
    assert.deepEqual([waiting.body.type, waiting.body.status, waiting.body.caseNumber], ['refund', 'RUNNING', kase.caseNumber]);
    assert.equal((JSON.parse(String(waiting.body.stateJson)) as { approval: { awaiting: boolean } }).approval.awaiting, true);

    const sam = supervisorFor(sandbox, kase.order.currency);
    assertProblem(await world.call('POST', `${processUrl(workflowId)}/approval`, { key: keys.flow, body: { decision: 'approve', approver: sam } }), 403, 'forbidden');
    assertProblem(await world.call('POST', `${processUrl(workflowId)}/approval`, { body: { decision: 'maybe', approver: sam } }), 400, 'validation');
    assertProblem(await world.call('POST', `${processUrl(workflowId)}/approval`, { body: { decision: 'approve', approver: 'sam' } }), 400, 'validation');
    const approved = await world.call('POST', `${processUrl(workflowId)}/approval`, { body: { decision: 'approve', approver: sam, note: 'customer verified' } });
    assert.equal(approved.status, 200, approved.text);
    assert.deepEqual([approved.body.workflowId, approved.body.decision, approved.body.approver, approved.body.caller], [workflowId, 'approve', sam, 'ops']);
    assert.ok(Number.isInteger(approved.body.amount) && Number(approved.body.amount) > 0);

    const closed = await waitClosed(workflowId);
    assert.deepEqual([closed.body.status, closed.body.stage], ['COMPLETED', 'refunded']);
    const refunds = (await admin(sandbox.urls.payments!).ledger()).entries.filter((e) => e.kind.startsWith('refund') && JSON.stringify(e).includes(kase.caseNumber));
    assert.equal(refunds.length, 1);

    const late = await world.call('POST', `${processUrl(workflowId)}/approval`, { body: { decision: 'reject', approver: sam } });
    assertProblem(late, 409, 'process-closed');
    assert.equal(late.body.processStatus, 'COMPLETED');
    assertProblem(await world.call('POST', `${processUrl(workflowId)}/cancel`, { body: { reason: 'too late' } }), 409, 'process-closed');
  });

  it('takes the agent\'s decision: a refused choice is 422 with the rejection type, a valid one 200', async () => {
    // Outside the refund window: the case waits for an agent's choice.
    const { caseNumber } = openCase(world.sandbox!, '00010025');
    const started = await world.call('POST', '/v1/case-resolutions', { key: keys.flow, body: { caseNumber } });
    const workflowId = String(started.body.workflowId);
    await waitForStage(workflowId, 'awaiting-agent');

    const ana = userId(world.sandbox!, 'agent');
    const refused = await world.call('POST', `${processUrl(workflowId)}/decision`, { body: { resolution: 'refund', agent: ana, lines: [{ lineNumber: 99, quantity: 1 }] } });
    assertProblem(refused, 422, 'rejected');
    assert.deepEqual([refused.body.reason, refused.body.workflowId], ['InvalidChoiceError', workflowId]);

    const chosen = await world.call('POST', `${processUrl(workflowId)}/decision`, { body: { resolution: 'refund', agent: ana, note: 'goodwill' } });
    assert.equal(chosen.status, 200, chosen.text);
    assert.deepEqual([chosen.body.accepted, chosen.body.resolution], [true, 'refund']);
    const state = await eventually(async () => {
      const p = await world.call('GET', processUrl(workflowId), { key: keys.reader });
      const s = JSON.parse(String(p.body.stateJson ?? '{}')) as { decision?: { kind: string; decidedBy: string; agent: string; agentName: string; caller: string } };
      return s.decision ? s : undefined;
    });
    assert.deepEqual(state.decision && [state.decision.kind, state.decision.decidedBy, state.decision.agent, state.decision.agentName, state.decision.caller], ['refund', 'agent', ana, 'Ana Alves', 'ops']);
  });

  it('cancels a running process (202), after which a second cancel answers 409', async () => {
    const { caseNumber } = openCase(world.sandbox!, '00010025');
    const started = await world.call('POST', '/v1/case-resolutions', { key: keys.flow, body: { caseNumber } });
    const workflowId = String(started.body.workflowId);
    await waitForStage(workflowId, 'awaiting-agent');
    const cancelled = await world.call('POST', `${processUrl(workflowId)}/cancel`, { body: { reason: 'customer withdrew the case' } });
    assert.equal(cancelled.status, 202, cancelled.text);
    assert.deepEqual(cancelled.body, { workflowId, type: 'caseResolution', cancelRequested: true, reason: 'customer withdrew the case' });
    const closed = await waitClosed(workflowId);
    assert.notEqual(closed.body.status, 'RUNNING');
    assertProblem(await world.call('POST', `${processUrl(workflowId)}/cancel`, { body: { reason: 'again' } }), 409, 'process-closed');
  });

  it('answers a 404 problem for an unknown process on every process route', async () => {
    const path = processUrl(uniqueName('refund/none'));
    const replies: [Reply, string][] = [
      [await world.call('GET', path), 'GET'],
      [await world.call('POST', `${path}/approval`, { body: { decision: 'approve', approver: userId(world.sandbox!, 'supervisorUsd') } }), 'approval'],
      [await world.call('POST', `${path}/decision`, { body: { resolution: 'refund', agent: userId(world.sandbox!, 'agent') } }), 'decision'],
      [await world.call('POST', `${path}/cancel`, { body: { reason: 'x' } }), 'cancel'],
    ];
    for (const [reply] of replies) assertProblem(reply, 404, 'process-not-found');
  });
});
