import assert from 'node:assert/strict';
import { admin } from '../helpers/sandbox';
import { supervisorFor, userId } from '../helpers/users';
import { testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { eventually } from '../workflows/case-resolution-world';
import { caseFor, keys, paidByCard, segmentOf, startApiWorld, type ApiWorld, type Reply } from './api-world';

type Process = { workflowId: string; type: string; status: string; stage?: string };

/**
 * The API called the way a Salesforce External Services action calls it: JSON bodies, declared header
 * inputs (Idempotency-Key), the case-keyed routes, Accept: application/json, and the Flow branching on
 * the responseCode and the typed output of each declared status.
 */
describe('HTTP API: called as a Salesforce Flow action', function () {
  this.timeout(90_000);
  let world: ApiWorld;

  /** One External Services action: the Named Credential's key, JSON in and out, header inputs as declared. */
  const action = async (method: 'GET' | 'POST', path: string, inputs: { body?: unknown; idempotencyKey?: string } = {}): Promise<Reply> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (inputs.idempotencyKey) headers['Idempotency-Key'] = inputs.idempotencyKey;
    const reply = await world.call(method, path, { key: keys.ops, body: inputs.body, headers });
    // Every answer, success or problem, is a media type the registration declared.
    assert.equal((reply.headers.get('content-type') ?? '').split(';')[0], 'application/json', `${method} ${path}: ${reply.text}`);
    return reply;
  };
  const caseProcesses = async (caseNumber: string) => {
    const reply = await action('GET', `/v1/cases/${caseNumber}`);
    return reply.status === 200 ? (reply.body.processes as Process[]) : [];
  };
  const waitFor = (caseNumber: string, type: string, fits: (p: Process) => boolean, what: string) =>
    eventually(async () => (await caseProcesses(caseNumber)).find((p) => p.type === type && fits(p)), 45_000, what);

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    world = await startApiWorld({ workers: true });
  });
  after(async () => {
    await world?.close();
  });

  /** Outside the refund window (the agent decides), above the approval threshold, no auto-approval: both waits happen. */
  const usedOrders = new Set<string>();
  const caseWaitingTwice = () => {
    const now = Date.now();
    // An order of its own each time (a refunded order has nothing left to refund), whose goods can come back.
    const kase = caseFor(world.sandbox!, (o, w) => paidByCard(o, w) && o.status !== 'cancelled' && now - Date.parse(o.placedAt) > 31 * 86_400_000 && o.total > 30_000 && segmentOf(o, w) === 'standard' && o.lines.every((l) => w.products.find((p) => p.sku === l.sku)?.returnable) && !usedOrders.has(o.orderNumber));
    usedOrders.add(kase.orderNumber);
    return kase;
  };
  const refundsOf = async (caseNumber: string) =>
    (await admin(world.sandbox!.urls.payments!).ledger()).entries.filter((e) => e.kind.startsWith('refund') && JSON.stringify(e).includes(caseNumber));

  it('resolves a case through the agent\'s decision and the supervisor\'s approval, by case number', async () => {
    const kase = caseWaitingTwice();
    const { caseNumber } = kase;
    const idempotencyKey = uniqueName('flow-interview');

    assert.equal((await action('GET', `/v1/cases/${caseNumber}`)).status, 404, 'no process yet');
    const started = await action('POST', '/v1/case-resolutions', { body: { caseNumber }, idempotencyKey });
    assert.equal(started.status, 202, started.text);
    assert.equal(started.body.existing, false);
    // The Flow's retry with the same key: the first answer again, nothing new started.
    const again = await action('POST', '/v1/case-resolutions', { body: { caseNumber }, idempotencyKey });
    assert.deepEqual([again.status, again.body], [202, started.body]);
    const misuse = await action('POST', '/v1/case-resolutions', { body: { caseNumber: `${caseNumber}9` }, idempotencyKey });
    assert.deepEqual([misuse.status, misuse.body.type], [409, '/problems/idempotency-conflict']);

    await waitFor(caseNumber, 'caseResolution', (p) => p.stage === 'awaiting-agent', 'the case to wait for the agent');
    // The Flow's 422 branch: the choice was refused, the agent corrects it.
    const refused = await action('POST', `/v1/cases/${caseNumber}/decision`, { body: { resolution: 'refund', agent: userId(world.sandbox!, 'agent'), lines: [{ lineNumber: 99, quantity: 1 }] } });
    assert.deepEqual([refused.status, refused.body.reason], [422, 'InvalidChoiceError']);
    const chosen = await action('POST', `/v1/cases/${caseNumber}/decision`, { body: { resolution: 'refund', agent: userId(world.sandbox!, 'agent') } });
    assert.equal(chosen.status, 200, chosen.text);
    assert.deepEqual([chosen.body.workflowId, chosen.body.accepted, chosen.body.resolution], [`case-resolution/${caseNumber}`, true, 'refund']);

    await waitFor(caseNumber, 'refund', (p) => p.stage === 'awaiting-approval', 'the refund to wait for approval');
    const approved = await action('POST', `/v1/cases/${caseNumber}/approval`, { body: { decision: 'approve', approver: supervisorFor(world.sandbox!, kase.order.currency), note: 'checked' } });
    assert.equal(approved.status, 200, approved.text);
    assert.deepEqual([approved.body.workflowId, approved.body.decision], [`refund/${caseNumber}`, 'approve']);

    await waitFor(caseNumber, 'caseResolution', (p) => p.status === 'COMPLETED', 'the case to be resolved');
    const processes = await caseProcesses(caseNumber);
    assert.deepEqual(processes.map((p) => [p.type, p.status]), [['caseResolution', 'COMPLETED'], ['refund', 'COMPLETED']]);
    assert.equal((await refundsOf(caseNumber)).length, 1, 'one refund at the payment provider');

    // The 409 branch: the approval came too late.
    const late = await action('POST', `/v1/cases/${caseNumber}/approval`, { body: { decision: 'reject', approver: supervisorFor(world.sandbox!, kase.order.currency) } });
    assert.deepEqual([late.status, late.body.type, late.body.processStatus], [409, '/problems/process-closed', 'COMPLETED']);
  });

  it('cancels the case\'s processes by case number: 202 naming them, then 409; an unknown case is 404', async () => {
    const now = Date.now();
    const { caseNumber } = caseFor(world.sandbox!, (o) => o.status !== 'cancelled' && now - Date.parse(o.placedAt) > 31 * 86_400_000);
    const started = await action('POST', '/v1/case-resolutions', { body: { caseNumber }, idempotencyKey: uniqueName('flow-interview') });
    assert.equal(started.status, 202, started.text);
    await waitFor(caseNumber, 'caseResolution', (p) => p.stage === 'awaiting-agent', 'the case to wait for the agent');

    const cancelled = await action('POST', `/v1/cases/${caseNumber}/cancel`, { body: { reason: 'customer withdrew the case' } });
    assert.equal(cancelled.status, 202, cancelled.text);
    assert.deepEqual(cancelled.body, { caseNumber, cancelRequested: true, workflowIds: [`case-resolution/${caseNumber}`], reason: 'customer withdrew the case' });
    await waitFor(caseNumber, 'caseResolution', (p) => p.status !== 'RUNNING', 'the case to close');

    const again = await action('POST', `/v1/cases/${caseNumber}/cancel`, { body: { reason: 'again' } });
    assert.deepEqual([again.status, again.body.type], [409, '/problems/process-closed']);
    const unknown = uniqueName('00099');
    for (const [method, path, body] of [
      ['GET', `/v1/cases/${unknown}`, undefined],
      ['POST', `/v1/cases/${unknown}/cancel`, { reason: 'x' }],
    ] as const) {
      const reply = await action(method, path, { body });
      assert.deepEqual([reply.status, reply.body.type], [404, '/problems/case-not-found'], `${method} ${path}`);
    }
    const noRefund = await action('POST', `/v1/cases/${unknown}/approval`, { body: { decision: 'approve', approver: userId(world.sandbox!, 'supervisorUsd') } });
    assert.deepEqual([noRefund.status, noRefund.body.type], [404, '/problems/process-not-found']);
  });

  it('cancels a case whose refund waits for approval through its resolution: nothing is refunded', async () => {
    const { caseNumber } = caseWaitingTwice();
    assert.equal((await action('POST', '/v1/case-resolutions', { body: { caseNumber }, idempotencyKey: uniqueName('flow-interview') })).status, 202);
    await waitFor(caseNumber, 'caseResolution', (p) => p.stage === 'awaiting-agent', 'the case to wait for the agent');
    assert.equal((await action('POST', `/v1/cases/${caseNumber}/decision`, { body: { resolution: 'refund', agent: userId(world.sandbox!, 'agent') } })).status, 200);
    await waitFor(caseNumber, 'refund', (p) => p.stage === 'awaiting-approval', 'the refund to wait for approval');

    const cancelled = await action('POST', `/v1/cases/${caseNumber}/cancel`, { body: { reason: 'customer withdrew the case' } });
    assert.equal(cancelled.status, 202, cancelled.text);
    // The refund is the resolution's child: the resolution's cancel reaches it, it is not asked twice.
    assert.deepEqual(cancelled.body.workflowIds, [`case-resolution/${caseNumber}`]);
    await waitFor(caseNumber, 'refund', (p) => p.status !== 'RUNNING', 'the refund to close');
    await waitFor(caseNumber, 'caseResolution', (p) => p.status !== 'RUNNING', 'the case to close');
    const [resolution, refund] = await caseProcesses(caseNumber);
    assert.deepEqual([resolution.type, resolution.status], ['caseResolution', 'CANCELLED']);
    // A refund cancelled before its pivot completes with its own outcome, cancelled.
    const refundState = JSON.parse(String((refund as Process & { stateJson?: string }).stateJson)) as { cancelRequested: boolean; stage: string };
    assert.deepEqual([refund.type, refund.status, refundState.cancelRequested, refund.stage], ['refund', 'COMPLETED', true, refundState.stage]);
    assert.equal((await refundsOf(caseNumber)).length, 0, 'nothing refunded');
  });
});
