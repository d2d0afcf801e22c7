import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { describeIfExists } from '../../src/client/handles';
import { idempotencyKeyId, idempotencyKeyWorkflowId } from '../../src/client/idempotency-keys';
import { apiConfig } from '../../src/config/api';
import { eventsConfig } from '../../src/config/events';
import { createLogger } from '../../src/observability/logger';
import { buildApp, type AppDeps } from '../../src/starters/http/app';
import { sign } from '../../src/starters/http/events/signature';
import { orderSyncStateQuery, orderSyncWorkflowId } from '../../src/workflows/order-sync';
import { testDataConverter } from '../helpers/codec';
import { testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { eventually, openCase } from '../workflows/case-resolution-world';
import { assertProblem, call, caseFor, keys, startApiWorld, testKeys, type ApiWorld, type CallOptions } from './api-world';
import { admin } from '../helpers/sandbox';
import { erpEvent, orderUpserts, salesforceOrders, startEventsWorld, type EventsWorld } from './events-world';

/** A second API instance: its own app and Temporal client, built from the same configuration, on its own port. */
async function secondInstance(world: { env: ApiWorld['env']; config: ApiWorld['config'] }, extra: Partial<AppDeps> = {}): Promise<{ app: FastifyInstance; url: string; client: Client }> {
  const client = new Client({ connection: world.env.connection, namespace: world.env.namespace ?? 'default', dataConverter: testDataConverter });
  const app = await buildApp({ client, config: world.config, api: apiConfig({ keys: testKeys, rateLimitMax: 100_000 }), logger: createLogger({ level: 'error', format: 'json' }), ...extra });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, client };
}

/** Two API instances on one Temporal server and one sandbox: what one accepted, the other answers alike. */
describe('HTTP API: two instances share idempotency keys and cannot be replayed into a second write', function () {
  this.timeout(120_000);

  describe('Idempotency-Key', () => {
    let world: ApiWorld;
    let other: Awaited<ReturnType<typeof secondInstance>>;
    const started: string[] = [];
    const a = (method: string, path: string, o: CallOptions) => world.call(method, path, { key: keys.flow, ...o });
    const b = (method: string, path: string, o: CallOptions) => call(other.url, method, path, { key: keys.flow, ...o });
    // Read from the execution itself, not the (eventually consistent) visibility store.
    const exists = async (workflowId: string) => (await describeIfExists(world.env.client, workflowId)) !== undefined;

    before(async function () {
      this.timeout(testEnvTimeoutMs);
      world = await startApiWorld();
      other = await secondInstance(world);
    });
    after(async () => {
      for (const id of started) await world.env.client.workflow.getHandle(id).terminate('test done').catch(() => undefined);
      await other?.app.close();
      await world?.close();
    });

    it('same key and request on the other instance: the first answer (existing: false, same run); another case: 409 and nothing started', async () => {
      const caseNumber = openCase(world.sandbox!, '00010025').caseNumber;
      const key = uniqueName('idem-two');
      const first = await a('POST', '/v1/case-resolutions', { body: { caseNumber }, headers: { 'idempotency-key': key } });
      assert.equal(first.status, 202, first.text);
      started.push(String(first.body.workflowId));
      assert.equal(first.body.existing, false);

      const again = await b('POST', '/v1/case-resolutions', { body: { caseNumber }, headers: { 'idempotency-key': key } });
      assert.deepEqual([again.status, again.body], [202, first.body]);
      // Without the key the same case is the same process, but this caller did not start it.
      const keyless = await b('POST', '/v1/case-resolutions', { body: { caseNumber } });
      assert.deepEqual([keyless.status, keyless.body.runId, keyless.body.existing], [202, first.body.runId, true]);

      const otherCase = openCase(world.sandbox!, '00010025').caseNumber;
      const conflict = await b('POST', '/v1/case-resolutions', { body: { caseNumber: otherCase, idempotencyKey: key } });
      assertProblem(conflict, 409, 'idempotency-conflict');
      assert.equal(await exists(`case-resolution/${otherCase}`), false, 'the conflicting request started nothing');
      assert.equal((await world.env.client.workflow.getHandle(`case-resolution/${caseNumber}`).describe()).runId, first.body.runId, 'never a second run');
    });

    it('same key and case with other lines on the other instance: 409; a key whose request failed may be used again anywhere', async () => {
      const kase = caseFor(world.sandbox!, (o) => o.lines.length >= 2 && o.status !== 'cancelled');
      const key = uniqueName('idem-lines');
      const first = await a('POST', '/v1/refunds', { body: { caseNumber: kase.caseNumber, caseId: kase.caseId }, headers: { 'idempotency-key': key } });
      assert.equal(first.status, 202, first.text);
      started.push(String(first.body.workflowId));
      const line = kase.order.lines[0];
      const otherLines = await b('POST', '/v1/refunds', { body: { caseNumber: kase.caseNumber, caseId: kase.caseId, lines: [{ lineNumber: line.lineNumber, quantity: 1 }] }, headers: { 'idempotency-key': key } });
      assertProblem(otherLines, 409, 'idempotency-conflict');

      // A request refused before anything started does not hold its key.
      const reused = uniqueName('idem-failed');
      assertProblem(await b('POST', '/v1/case-resolutions', { body: { caseNumber: uniqueName('00099') }, headers: { 'idempotency-key': reused } }), 404, 'case-not-found');
      const caseNumber = openCase(world.sandbox!, '00010025').caseNumber;
      const after = await a('POST', '/v1/case-resolutions', { body: { caseNumber }, headers: { 'idempotency-key': reused } });
      assert.equal(after.status, 202, after.text);
      started.push(String(after.body.workflowId));
    });

    it('one key sent with two different requests to both instances at once: exactly one starts, the other is a 409', async () => {
      const key = uniqueName('idem-race');
      const [one, two] = [openCase(world.sandbox!, '00010025').caseNumber, openCase(world.sandbox!, '00010025').caseNumber];
      const replies = await Promise.all([a('POST', '/v1/case-resolutions', { body: { caseNumber: one }, headers: { 'idempotency-key': key } }), b('POST', '/v1/case-resolutions', { body: { caseNumber: two }, headers: { 'idempotency-key': key } })]);
      assert.deepEqual(replies.map((r) => r.status).sort(), [202, 409], replies.map((r) => r.text).join('\n'));
      const winner = replies.find((r) => r.status === 202)!;
      started.push(String(winner.body.workflowId));
      const found = await Promise.all([one, two].map((n) => exists(`case-resolution/${n}`)));
      assert.deepEqual(found.filter(Boolean), [true], 'one process for the two requests');
      assert.equal(found.indexOf(true), replies.indexOf(winner), 'the process of the request that got 202');
    });
  });

  describe('Idempotency-Key lifetime', () => {
    let world: ApiWorld;

    before(async function () {
      this.timeout(testEnvTimeoutMs);
      // Real workers: the key's record completes on the orchestration queue when its lifetime ends.
      world = await startApiWorld({ workers: true, api: { idempotencyTtlMs: 1500 } });
    });
    after(async () => {
      await world?.close();
    });

    it('a key is held for API_IDEMPOTENCY_TTL_MS: another request under it is a 409 until then, and starts once the record has completed', async () => {
      const key = uniqueName('idem-ttl');
      const [one, two] = [openCase(world.sandbox!, '00010025').caseNumber, openCase(world.sandbox!, '00010025').caseNumber];
      const first = await world.call('POST', '/v1/case-resolutions', { key: keys.flow, body: { caseNumber: one }, headers: { 'idempotency-key': key } });
      assert.equal(first.status, 202, first.text);
      assertProblem(await world.call('POST', '/v1/case-resolutions', { key: keys.flow, body: { caseNumber: two }, headers: { 'idempotency-key': key } }), 409, 'idempotency-conflict');

      const record = world.env.client.workflow.getHandle(idempotencyKeyWorkflowId(idempotencyKeyId('flow', key)));
      assert.equal((await record.describe()).status.name, 'RUNNING');
      await record.result();
      const later = await world.call('POST', '/v1/case-resolutions', { key: keys.flow, body: { caseNumber: two }, headers: { 'idempotency-key': key } });
      assert.deepEqual([later.status, later.body.workflowId, later.body.existing], [202, `case-resolution/${two}`, false], later.text);
      for (const id of [first.body.workflowId, later.body.workflowId]) await world.env.client.workflow.getHandle(String(id)).terminate('test done');
    });
  });

  describe('signed events', () => {
    let world: EventsWorld;
    let other: Awaited<ReturnType<typeof secondInstance>>;

    before(async function () {
      this.timeout(testEnvTimeoutMs);
      world = await startEventsWorld();
      // The same secrets and order-sync settings as the first instance.
      other = await secondInstance(world, {
        events: eventsConfig({ secrets: { erp: world.secret, warehouse: world.secret, carrier: world.secret, payments: world.secret }, orderSync: { coalesceWindow: '2 seconds', closeAfterCompleteGrace: '1 hour' } }),
      });
    });
    after(async () => {
      await other?.app.close();
      await world?.close();
    });

    it('a captured signed event replayed to the other instance changes nothing: the order sync drops it and Salesforce is not written again', async () => {
      const { orderNumber } = world.sandbox.world().orders.filter((o) => o.status === 'allocated')[7];
      const since = await admin(world.sandbox.urls.salesforce!).mark();
      const capture = (body: unknown) => {
        const raw = JSON.stringify(body);
        return { raw, signature: sign(world.secret, 'erp', raw, Math.floor(Date.now() / 1000)) };
      };
      const send = (url: string, request: { raw: string; signature: string }) => call(url, 'POST', '/v1/events/erp', { key: null, rawBody: request.raw, headers: { 'x-retail-signature': request.signature } });
      const shipped = capture({ events: [erpEvent(orderNumber, 5, 'shipped')] });
      const delivered = capture({ events: [erpEvent(orderNumber, 6, 'delivered')] });
      const syncState = () => world.env.client.workflow.getHandle(orderSyncWorkflowId(orderNumber)).query(orderSyncStateQuery);

      assert.equal((await send(world.url, shipped)).status, 202);
      assert.equal((await send(world.url, delivered)).status, 202);
      await eventually(async () => {
        const s = await syncState();
        return s.status === 'delivered' && !s.pendingChange && s.salesforce.writes >= 1 ? s : undefined;
      }, 30_000, 'the delivered order written to Salesforce');
      const writesBefore = (await orderUpserts(world.sandbox, since)).filter((r) => r.path.endsWith(`/${orderNumber}`)).length;
      assert.equal((await salesforceOrders(world.sandbox)).get(orderNumber)!.Status, 'Delivered');

      // The first instance remembers the signature; the second has never seen it and lets it through.
      assertProblem(await send(world.url, shipped), 401, 'replayed-signature');
      const replayed = await send(other.url, shipped);
      assert.equal(replayed.status, 202, replayed.text);
      assert.equal(replayed.body.accepted, 1);

      const state = await eventually(async () => {
        const s = await syncState();
        return s.events.received >= 3 ? s : undefined;
      }, 20_000, 'the replayed event to reach the order sync');
      assert.deepEqual([state.events.applied, state.events.duplicates], [2, 1]);
      assert.deepEqual(state.ignored.at(-1), { ...state.ignored.at(-1), eventId: `evt-erp-${orderNumber}-5`, reason: 'duplicate' });
      // Past a coalescing window: still the writes from before, and the order still delivered.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      assert.equal((await orderUpserts(world.sandbox, since)).filter((r) => r.path.endsWith(`/${orderNumber}`)).length, writesBefore, 'no Salesforce write for the replay');
      assert.equal((await salesforceOrders(world.sandbox)).get(orderNumber)!.Status, 'Delivered');
      assert.equal((await syncState()).status, 'delivered');
    });
  });
});
