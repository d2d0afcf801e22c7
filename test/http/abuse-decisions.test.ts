import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { makeId } from '../../sandbox/systems/salesforce/ids';
import { hashApiKey } from '../../src/config/api';
import { eventsConfig, eventsConfigFromEnv } from '../../src/config/events';
import { sign } from '../../src/starters/http/events/signature';
import { ApprovalRejections, DeciderRejections, refundApprovalSignal, type refund, type RefundInput, type RefundState } from '../../src/workflows/refund';
import { admin } from '../helpers/sandbox';
import { testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { userId } from '../helpers/users';
import { eventually, openCase } from '../workflows/case-resolution-world';
import { alwaysApproval } from '../workflows/refund-harness';
import { assertProblem, call, caseFor, keys, paidByCard, startApiWorld, testKeys, type ApiWorld } from './api-world';

const operatorKey = `rk_test_${randomBytes(16).toString('hex')}`;
const processUrl = (workflowId: string) => `/v1/processes/${encodeURIComponent(workflowId)}`;
const EventType = temporal.api.enums.v1.EventType;

/** Who may decide, and which processes each route reaches: every refusal leaves the process as it was. */
describe('HTTP API abuse: decisions and process routes', function () {
  this.timeout(90_000);
  let world: ApiWorld;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    world = await startApiWorld({ workers: true, api: { keys: [...testKeys, { name: 'operator', sha256: hashApiKey(operatorKey), scopes: ['signal', 'read', 'operate'] }] } });
  });
  after(async () => {
    await world?.close();
  });

  const stateOf = async (workflowId: string) => {
    const p = await world.call('GET', processUrl(workflowId), { key: keys.reader });
    return { stage: p.body.stage as string | undefined, status: p.body.status as string, state: JSON.parse(String(p.body.stateJson ?? '{}')) as Record<string, unknown> };
  };
  const waitForStage = (workflowId: string, stage: string) => eventually(async () => ((await stateOf(workflowId)).stage === stage ? true : undefined), 30_000, `stage ${stage}`);
  const usedOrders = new Set<string>();
  /** A refund waiting for approval, asked for by the seeded agent Ana (requestedBy), for a USD order above 50.00. */
  const refundAwaitingApproval = async () => {
    // An order of its own each time: a refunded order has nothing left to refund.
    const kase = caseFor(world.sandbox!, (o, w) => paidByCard(o, w) && o.currency === 'USD' && o.total > 5_000 && !usedOrders.has(o.orderNumber));
    usedOrders.add(kase.orderNumber);
    const { order, ...ctx } = kase;
    const { salesforce, erp, warehouse, payments } = world.config.taskQueues;
    const input: RefundInput = { caseNumber: ctx.caseNumber, caseId: ctx.caseId, policy: alwaysApproval, taskQueues: { salesforce, erp, warehouse, payments }, requestedBy: userId(world.sandbox!, 'agent') };
    const workflowId = `refund/${kase.caseNumber}`;
    await world.env.client.workflow.start<typeof refund>('refund', { taskQueue: world.config.taskQueues.orchestration, workflowId, args: [input] });
    await waitForStage(workflowId, 'awaiting-approval');
    return { workflowId, kase, order };
  };
  const approve = (workflowId: string, approver: string) => world.call('POST', `${processUrl(workflowId)}/approval`, { body: { decision: 'approve', approver } });
  const refundsFor = async (caseNumber: string) => (await admin(world.sandbox!.urls.payments!).ledger({ kind: 'refund.created' })).entries.filter((e) => JSON.stringify(e).includes(caseNumber));

  it('refuses self-approval, an inactive user, an agent, a limit below the amount and an unknown user (422 with the reason); a supervisor within the limit approves and one refund lands', async () => {
    const sandbox = world.sandbox!;
    const { workflowId, kase, order } = await refundAwaitingApproval();
    const refusals: Record<string, unknown> = {};
    for (const [label, approver] of [
      ['self', userId(sandbox, 'agent')],
      ['inactive', userId(sandbox, 'inactive')],
      ['agentWithoutLimit', userId(sandbox, 'agentEur')],
      ['limitBelowAmount', userId(sandbox, 'smallLimitUsd')],
      ['unknown', makeId('005', 9999)],
    ] as const) {
      const reply = await approve(workflowId, approver);
      assertProblem(reply, 422, 'rejected');
      refusals[label] = reply.body.reason;
    }
    assert.deepEqual(refusals, {
      self: ApprovalRejections.selfApproval,
      inactive: DeciderRejections.inactive,
      agentWithoutLimit: ApprovalRejections.noAuthority,
      limitBelowAmount: ApprovalRejections.overLimit,
      unknown: DeciderRejections.unknown,
    });
    const waiting = await stateOf(workflowId);
    assert.equal(waiting.stage, 'awaiting-approval', 'every refusal leaves the refund waiting');
    assert.equal((await refundsFor(kase.caseNumber)).length, 0, 'no money moved');

    const sam = userId(sandbox, 'supervisorUsd');
    const approved = await approve(workflowId, sam);
    assert.equal(approved.status, 200, approved.text);
    assert.deepEqual([approved.body.approver, approved.body.approverName, approved.body.caller, approved.body.amount, approved.body.currency], [sam, 'Sam Stone', 'ops', order.total, 'USD']);
    await eventually(async () => ((await stateOf(workflowId)).status === 'COMPLETED' ? true : undefined), 30_000, 'the refund to complete');
    const done = (await stateOf(workflowId)).state as unknown as RefundState;
    assert.deepEqual([done.stage, done.approval?.approver, done.approval?.approverName, done.approval?.caller], ['refunded', sam, 'Sam Stone', 'ops']);
    assert.equal((await refundsFor(kase.caseNumber)).length, 1, 'exactly one refund in the payments ledger');
    const notes = (await admin(sandbox.urls.salesforce!).ledger({ kind: 'CaseComment.created' })).entries.map((e) => String(e.data?.CommentBody));
    assert.ok(notes.some((n) => n.includes(`approved by Sam Stone (${sam}, via ops)`)), 'the Case note names the user and the API key');
  });

  it('records a refused approval signal and keeps waiting', async () => {
    const { workflowId } = await refundAwaitingApproval();
    await world.env.client.workflow.getHandle(workflowId).signal(refundApprovalSignal, { decision: 'approve', approver: userId(world.sandbox!, 'inactive'), caller: 'flow-signal' });
    const refused = await eventually(async () => {
      const { state } = await stateOf(workflowId);
      const list = (state as unknown as RefundState).approval?.refused ?? [];
      return list.length ? list : undefined;
    }, 20_000, 'the refused signal in the state');
    assert.deepEqual([refused[0].reason, refused[0].approver, refused[0].caller], [DeciderRejections.inactive, userId(world.sandbox!, 'inactive'), 'flow-signal']);
    assert.equal((await stateOf(workflowId)).stage, 'awaiting-approval');
    const cancelled = await world.call('POST', `${processUrl(workflowId)}/cancel`, { body: { reason: 'test over' } });
    assert.equal(cancelled.status, 202, cancelled.text);
    assert.equal(cancelled.body.type, 'refund');
  });

  it('an approval sent to a case resolution and a decision sent to a refund are 409; neither process is touched', async () => {
    const { workflowId: refundId } = await refundAwaitingApproval();
    const { caseNumber } = openCase(world.sandbox!, '00010025');
    const started = await world.call('POST', '/v1/case-resolutions', { key: keys.flow, body: { caseNumber } });
    const caseId = String(started.body.workflowId);
    await waitForStage(caseId, 'awaiting-agent');

    const approval = await approve(caseId, userId(world.sandbox!, 'supervisorUsd'));
    assertProblem(approval, 409, 'wrong-process-type');
    assert.equal(approval.body.processType, 'caseResolution');
    const decision = await world.call('POST', `${processUrl(refundId)}/decision`, { body: { resolution: 'refund', agent: userId(world.sandbox!, 'agent') } });
    assertProblem(decision, 409, 'wrong-process-type');
    assert.equal(decision.body.processType, 'refund');

    const [refundNow, caseNow] = await Promise.all([stateOf(refundId), stateOf(caseId)]);
    assert.deepEqual([refundNow.stage, caseNow.stage], ['awaiting-approval', 'awaiting-agent']);
    assert.equal((await updatesIn(world, refundId)) + (await updatesIn(world, caseId)), 0, 'no update reached either history');
    for (const id of [refundId, caseId]) await world.env.client.workflow.getHandle(id).terminate('test over');
  });

  it('cancelling order/…, reconciliation/…, backfill/… (or an orderSync hiding behind a refund/… id) through the case routes needs the operate scope; without it nothing is requested', async () => {
    const idle = uniqueName('idle'); // no worker polls it: the processes stay exactly as started
    const started = [
      { workflowId: uniqueName('order/SO'), type: 'orderSync' },
      { workflowId: uniqueName('reconciliation/2026-01-01'), type: 'reconciliation' },
      { workflowId: uniqueName('backfill/2026-01-01'), type: 'orderBackfill' },
      { workflowId: uniqueName('refund/../order/SO'), type: 'orderSync' },
    ];
    for (const p of started) await world.env.client.workflow.start(p.type, { taskQueue: idle, workflowId: p.workflowId, args: [{}] });

    for (const p of started) {
      const refused = await world.call('POST', `${processUrl(p.workflowId)}/cancel`, { body: { reason: 'not yours' } });
      if (p.workflowId.includes('/../')) {
        // An id with a dot segment is refused at the edge, before its type or scope is even looked up.
        assertProblem(refused, 400, 'invalid-path');
        continue;
      }
      assertProblem(refused, 403, 'forbidden');
      assert.deepEqual([refused.body.requiredScope, refused.body.processType], ['operate', p.type]);
      const approval = await approve(p.workflowId, userId(world.sandbox!, 'supervisorUsd'));
      assertProblem(approval, 409, 'wrong-process-type');
      const d = await world.env.client.workflow.getHandle(p.workflowId).describe();
      assert.equal(d.status.name, 'RUNNING');
      assert.equal(await eventsOfType(world, p.workflowId, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED), 0, `${p.workflowId} untouched`);
    }
    assertProblem(await world.call('POST', `${processUrl('refund/../order/none')}/cancel`, { body: { reason: 'x' } }), 400, 'invalid-path');

    for (const p of started) {
      if (p.workflowId.includes('/../')) {
        await world.env.client.workflow.getHandle(p.workflowId).terminate('test over');
        continue;
      }
      const cancelled = await world.call('POST', `${processUrl(p.workflowId)}/cancel`, { key: operatorKey, body: { reason: 'operator' } });
      assert.equal(cancelled.status, 202, cancelled.text);
      assert.equal(cancelled.body.type, p.type);
      assert.equal(await eventsOfType(world, p.workflowId, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED), 1);
      await world.env.client.workflow.getHandle(p.workflowId).terminate('test over');
    }
  });
});

/** Signed senders at the event route: the source is signed, fields are bounded, limits are per source. */
describe('HTTP API abuse: event senders', function () {
  this.timeout(60_000);
  let world: ApiWorld;
  const secret = randomBytes(24).toString('hex');

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    world = await startApiWorld({
      sandbox: false,
      // Behind one proxy at 127.0.0.1: X-Forwarded-For names the client.
      api: { trustProxy: ['127.0.0.1'] },
      deps: { events: eventsConfig({ secrets: { erp: secret, warehouse: secret, carrier: secret, payments: secret }, rateLimitPerSource: 3, rateLimitUnsignedPerAddress: 2 }) },
    });
  });
  after(async () => {
    await world?.close();
  });

  const post = (path: string, raw: string, signature: string, headers: Record<string, string> = {}) => call(world.url, 'POST', path, { key: null, rawBody: raw, headers: { 'x-retail-signature': signature, ...headers } });
  const now = () => Math.floor(Date.now() / 1000);
  const erpEvent = (over: Record<string, unknown> = {}) => ({ id: uniqueName('evt'), type: 'order.status_changed', orderNumber: uniqueName('SO'), status: 'teleported', sequence: 1, occurredAt: new Date().toISOString(), ...over });

  it('a signature made for erp is refused at /v1/events/warehouse (and under X-Retail-Event-Source: warehouse), even with one shared secret', async () => {
    const raw = JSON.stringify(erpEvent());
    const forErp = sign(secret, 'erp', raw, now());
    assertProblem(await post('/v1/events/warehouse', raw, forErp, { 'x-forwarded-for': '10.1.0.1' }), 401, 'invalid-signature');
    assertProblem(await post('/v1/events', raw, forErp, { 'x-retail-event-source': 'warehouse', 'x-forwarded-for': '10.1.0.2' }), 401, 'invalid-signature');
    const atErp = await post('/v1/events/erp', raw, forErp, { 'x-forwarded-for': '10.1.0.3' });
    assert.equal(atErp.status, 202, atErp.text);
  });

  it('refuses over-long fields per event, without echoing them', async () => {
    const raw = JSON.stringify({
      events: [
        erpEvent({ id: 'e'.repeat(129) }),
        erpEvent({ orderNumber: `SO-${'9'.repeat(62)}` }),
        erpEvent({ status: 'x'.repeat(33) }),
        erpEvent({ status: 'shipped', occurredAt: 'not-a-date' }),
      ],
    });
    const reply = await post('/v1/events/erp', raw, sign(secret, 'erp', raw, now()), { 'x-forwarded-for': '10.2.0.1' });
    assert.equal(reply.status, 202, reply.text);
    const results = reply.body.results as { status: string; reason: string; eventId?: string; orderNumber?: string }[];
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected', 'rejected']);
    assert.match(results[0].reason, /^invalid: id:/);
    assert.equal(results[0].eventId, undefined, 'an over-long id is not sent back');
    assert.match(results[1].reason, /^invalid: orderNumber:/);
    assert.equal(results[1].orderNumber, undefined);
    assert.match(results[2].reason, /^invalid: status:/);

    const warehouseRaw = JSON.stringify({ id: uniqueName('wh'), type: 'release.picked', orderNumber: 'SO-1', releaseId: 'R-1', location: 'L'.repeat(201), sequence: 1, occurredAt: new Date().toISOString() });
    const warehouse = await post('/v1/events/warehouse', warehouseRaw, sign(secret, 'warehouse', warehouseRaw, now()), { 'x-forwarded-for': '10.2.0.2' });
    assert.equal(warehouse.status, 202, warehouse.text);
    assert.match((warehouse.body.results as { reason: string }[])[0].reason, /^invalid: location:/);
  });

  it('limits signed senders per source whatever their address, and bad signatures per client address (API_TRUST_PROXY)', async () => {
    // The erp bucket already took two requests above; different client addresses all count against it.
    const send = (source: string, address: string) => {
      const raw = JSON.stringify(erpEvent());
      return post(`/v1/events/${source}`, raw, sign(secret, source, raw, now()), { 'x-forwarded-for': address });
    };
    assert.equal((await send('erp', '10.3.0.1')).status, 202);
    const limited = await send('erp', '10.3.0.2');
    assertProblem(limited, 429, 'rate-limited');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal((await send('carrier', '10.3.0.2')).status, 202, 'another source has its own bucket');

    const bad = (address: string) => post('/v1/events/payments', '{}', `t=${now()},v1=${'0'.repeat(64)}`, { 'x-forwarded-for': address });
    assertProblem(await bad('10.4.0.1'), 401, 'invalid-signature');
    assertProblem(await bad('10.4.0.1'), 401, 'invalid-signature');
    assertProblem(await bad('10.4.0.1'), 429, 'rate-limited');
    assertProblem(await bad('10.4.0.2'), 401, 'invalid-signature');
  });

  it('refuses one shared secret at start-up unless the API listens on loopback, and sources sharing a secret off loopback', () => {
    const shared = 's'.repeat(32);
    assert.throws(() => eventsConfigFromEnv({ API_HOST: '0.0.0.0', EVENTS_HMAC_SECRET: shared }), /EVENTS_HMAC_SECRET .*loopback.*EVENTS_HMAC_SECRET_ERP/);
    assert.throws(() => eventsConfigFromEnv({ API_HOST: '10.0.0.5', EVENTS_HMAC_SECRET_ERP: shared, EVENTS_HMAC_SECRET_WAREHOUSE: shared }), /erp, warehouse share one secret/);
    assert.deepEqual(Object.keys(eventsConfigFromEnv({ API_HOST: '127.0.0.1', EVENTS_HMAC_SECRET: shared }).secrets), ['erp', 'warehouse', 'carrier', 'payments']);
    const own = eventsConfigFromEnv({ API_HOST: '0.0.0.0', EVENTS_HMAC_SECRET_ERP: 'e'.repeat(32), EVENTS_HMAC_SECRET_WAREHOUSE: 'w'.repeat(32) });
    assert.deepEqual(Object.keys(own.secrets), ['erp', 'warehouse']);
  });
});

async function eventsOfType(world: ApiWorld, workflowId: string, type: number): Promise<number> {
  const history = await world.env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.eventType === type).length;
}

async function updatesIn(world: ApiWorld, workflowId: string): Promise<number> {
  return eventsOfType(world, workflowId, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
}
