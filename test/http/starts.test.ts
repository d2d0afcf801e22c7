import assert from 'node:assert/strict';
import { admin } from '../helpers/sandbox';
import { testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { eventually, openCase } from '../workflows/case-resolution-world';
import { assertProblem, caseFor, keys, paidByCard, segmentOf, startApiWorld, type ApiWorld } from './api-world';

/** POST /v1/case-resolutions, /v1/refunds, /v1/replacements over a socket, with the real workers. */
describe('HTTP API: starting processes', function () {
  this.timeout(60_000);
  let world: ApiWorld;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    world = await startApiWorld({ workers: true, overview: true });
  });
  after(async () => {
    await world?.close();
  });

  it('starts a refund once: 202 with a status URL, the same request again answers the same process, and exactly one payment refund happens', async () => {
    const sandbox = world.sandbox!;
    // Small enough for no approval, paid by card: the refund runs to the end by itself.
    const kase = caseFor(sandbox, (o, w, c) => paidByCard(o, w) && o.total <= 20_000 && segmentOf(o, w) === 'standard' && c.reason !== 'wrong-item');
    const { order } = kase;
    // The case only: the API and the workflow read the order, customer and payment themselves.
    const body = { caseNumber: kase.caseNumber, caseId: kase.caseId };
    const first = await world.call('POST', '/v1/refunds', { key: keys.flow, body });
    assert.equal(first.status, 202, first.text);
    assert.deepEqual(Object.keys(first.body).sort(), ['existing', 'runId', 'status', 'statusUrl', 'workflowId']);
    assert.deepEqual([first.body.workflowId, first.body.existing, first.body.status], [`refund/${kase.caseNumber}`, false, 'RUNNING']);
    assert.equal(first.body.statusUrl, `/v1/processes/refund%2F${kase.caseNumber}`);
    assert.equal(first.headers.get('location'), first.body.statusUrl);

    const again = await world.call('POST', '/v1/refunds', { key: keys.flow, body });
    assert.equal(again.status, 202);
    assert.deepEqual([again.body.runId, again.body.existing], [first.body.runId, true]);

    const done = await eventually(async () => {
      const p = await world.call('GET', String(first.body.statusUrl), { key: keys.reader });
      return p.body.status === 'COMPLETED' ? p : undefined;
    }, 30_000, 'the refund to complete');
    assert.equal(done.body.stage, 'refunded');
    const refunds = (await admin(sandbox.urls.payments!).ledger()).entries.filter((e) => e.kind.startsWith('refund') && JSON.stringify(e).includes(kase.caseNumber));
    assert.equal(refunds.length, 1, 'one payment refund for the case');
    assert.equal(order.orderNumber, done.body.orderNumber);
  });

  it('honours Idempotency-Key (header or body): same key and request → same process; same key, other request → 409', async () => {
    const caseNumber = openCase(world.sandbox!, '00010025').caseNumber;
    const key = uniqueName('idem');
    const first = await world.call('POST', '/v1/case-resolutions', { key: keys.flow, body: { caseNumber }, headers: { 'idempotency-key': key } });
    assert.equal(first.status, 202, first.text);
    assert.equal(first.body.workflowId, `case-resolution/${caseNumber}`);
    // A Flow's HTTP Callout sends the key in the body instead; field order does not matter.
    const replay = await world.call('POST', '/v1/case-resolutions', { key: keys.flow, body: { idempotencyKey: key, caseNumber } });
    assert.equal(replay.status, 202);
    assert.equal(replay.body.runId, first.body.runId);

    const other = openCase(world.sandbox!, '00010025').caseNumber;
    const conflict = await world.call('POST', '/v1/case-resolutions', { key: keys.flow, body: { caseNumber: other, idempotencyKey: key } });
    assertProblem(conflict, 409, 'idempotency-conflict');
    assert.equal((await world.env.client.workflow.count(`CaseNumber = "${other}"`)).count, 0, 'the conflicting request started nothing');
    assert.equal((await world.env.client.workflow.count(`WorkflowId = "case-resolution/${caseNumber}"`)).count, 1, 'never a second process');

    const mismatch = await world.call('POST', '/v1/case-resolutions', { key: keys.flow, body: { caseNumber, idempotencyKey: 'a' }, headers: { 'idempotency-key': 'b' } });
    assertProblem(mismatch, 400, 'validation');
    await world.call('POST', `/v1/processes/${encodeURIComponent(String(first.body.workflowId))}/cancel`, { body: { reason: 'test done' } });
  });

  it('starts a replacement, and the process is there to read', async () => {
    const sandbox = world.sandbox!;
    const kase = caseFor(sandbox, (o, w) => w.stock.some((s) => s.sku === o.lines[0].sku && s.onHand - s.reserved >= o.lines[0].quantity));
    const line = kase.order.lines[0];
    const body = { caseNumber: kase.caseNumber, lines: [{ lineNumber: line.lineNumber, quantity: line.quantity }] };
    const started = await world.call('POST', '/v1/replacements', { key: keys.flow, body });
    assert.equal(started.status, 202, started.text);
    assert.equal(started.body.workflowId, `replacement/${kase.caseNumber}`);
    const read = await world.call('GET', String(started.body.statusUrl), { key: keys.reader });
    assert.equal(read.status, 200, read.text);
    assert.deepEqual([read.body.type, read.body.caseNumber, read.body.runId], ['replacement', kase.caseNumber, started.body.runId]);
    await world.call('POST', `${String(started.body.statusUrl)}/cancel`, { body: { reason: 'test done' } });
  });

  it('refuses bad bodies with 400 and field errors: missing field, unknown field, wrong type, malformed JSON; 413 above the cap', async () => {
    const missing = await world.call('POST', '/v1/refunds', { body: { reason: 'other' } });
    assertProblem(missing, 400, 'validation');
    const paths = (missing.body.errors as { path: string }[]).map((e) => e.path);
    assert.deepEqual(paths, ['body.caseNumber']);

    const unknown = await world.call('POST', '/v1/case-resolutions', { body: { caseNumber: uniqueName('00010001'), priority: 'high' } });
    assertProblem(unknown, 400, 'validation');
    assert.deepEqual(unknown.body.errors, [{ path: 'body.priority', code: 'unrecognized_key', message: 'unknown field "priority"' }]);

    const wrongType = await world.call('POST', '/v1/case-resolutions', { body: { caseNumber: 10001 } });
    assertProblem(wrongType, 400, 'validation');
    assert.deepEqual((wrongType.body.errors as { path: string; code: string }[]).map((e) => [e.path, e.code]), [['body.caseNumber', 'invalid_type']]);

    const badId = await world.call('POST', '/v1/case-resolutions', { body: { caseNumber: '../../etc' } });
    assertProblem(badId, 400, 'validation');

    assertProblem(await world.call('POST', '/v1/case-resolutions', { rawBody: '{"caseNumber":' }), 400);
    assertProblem(await world.call('POST', '/v1/case-resolutions', {}), 400, 'validation');

    const oversize = await world.call('POST', '/v1/case-resolutions', { body: { caseNumber: '1', padding: 'x'.repeat(70 * 1024) } });
    assertProblem(oversize, 413, 'payload-too-large');
  });

  it('serves the order overview (read scope) from the systems, and 404 for an unknown order', async () => {
    const { orderNumber } = world.sandbox!.world().orders[0];
    const overview = await world.call('GET', `/v1/orders/${encodeURIComponent(orderNumber)}/overview`, { key: keys.reader });
    assert.equal(overview.status, 200, overview.text);
    assert.deepEqual([overview.body.orderNumber, overview.body.complete], [orderNumber, true]);
    assertProblem(await world.call('GET', '/v1/orders/SO-NONE-1/overview', { key: keys.reader }), 404, 'order-not-found');
  });
});
