import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Sandbox } from '../../sandbox';
import { buildActivities } from '../../src/activities';
import { hashApiKey } from '../../src/config/api';
import { createLogger } from '../../src/observability/logger';
import { buildCodecServer } from '../../src/starters/codec/app';
import { dataConverterFor, EncryptionCodec } from '../../src/temporal/payload-codec';
import { createWorkers } from '../../src/workers/workers';
import { systemCheck } from '../../src/workflows';
import type { SystemCheckInput } from '../../src/workflows/system-check';
import { testCodecKeys } from '../helpers/codec';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, runWorkersUntil, testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { systemQueuesOf } from './fake-activities';

interface WirePayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** Every payload of a history as the server stores it: inputs, results, activity inputs and results. */
function storedPayloads(history: unknown): WirePayload[] {
  const found: WirePayload[] = [];
  const walk = (node: unknown, key: string) => {
    if (!node || typeof node !== 'object') return;
    // Search attributes are indexed by the server, not sealed (documented); everything else is.
    if (key === 'searchAttributes') return;
    if (key === 'payloads' && Array.isArray(node)) found.push(...(node as WirePayload[]));
    if (key === 'encodedAttributes') found.push(node as WirePayload);
    for (const [k, v] of Object.entries(node)) walk(v, k);
  };
  walk(history, '');
  return found;
}
const metadataOf = (p: WirePayload, key: string) => Buffer.from(p.metadata?.[key] ?? '', 'base64').toString('utf8');

describe('payload encryption: histories sealed at rest, opened by the codec server', function () {
  this.timeout(90_000);
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;
  let sandbox: Sandbox;
  let input: Omit<SystemCheckInput, 'taskQueues'>;
  let codecServer: FastifyInstance;
  let codecUrl: string;
  const readerKey = 'rk_test_codec_reader_0123456789abcdef';
  const starterKey = 'rk_test_codec_starter_0123456789abcdef';
  const webUi = 'http://127.0.0.1:8233';

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    [env, workflowBundle, sandbox] = await Promise.all([getTestEnv(), getWorkflowBundle(), startTestSandbox(['salesforce', 'erpCloud', 'erpLegacy', 'warehouse', 'payments', 'carrier'])]);
    const world = sandbox.world();
    const kase = world.cases[0];
    const order = world.orders.find((o) => o.orderNumber === kase.orderNumber)!;
    const shipment = world.shipments.find((s) => s.orderNumber === order.orderNumber && s.trackingNumber) ?? world.shipments[0];
    input = { caseNumber: kase.caseNumber, orderNumber: order.orderNumber, paymentId: order.paymentId, trackingNumber: shipment.trackingNumber };
    codecServer = await buildCodecServer({
      codec: new EncryptionCodec(testCodecKeys),
      namespace: 'default',
      origins: [webUi],
      keys: [
        { name: 'reader', sha256: hashApiKey(readerKey), scopes: ['read'] },
        { name: 'starter', sha256: hashApiKey(starterKey), scopes: ['start'] },
      ],
      trustOriginsWithoutCredential: false,
      logger: createLogger({ level: 'error' }),
    });
    await codecServer.listen({ host: '127.0.0.1', port: 0 });
    codecUrl = `http://127.0.0.1:${(codecServer.server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await codecServer?.close();
    await sandbox?.close();
  });

  /** Runs systemCheck on the real workers (configured with `workerKeys`), started by a client sealing with `clientKeys`. */
  async function runCheck(clientKeys = testCodecKeys, workerKeys = testCodecKeys) {
    const config = configFor(sandbox, { ...isolatedQueueEnv('sealed'), PAYLOAD_CODEC_KEYS: JSON.stringify(workerKeys) });
    const activities = buildActivities(config);
    const clientFor = (keys: typeof testCodecKeys) => new Client({ connection: env.connection, namespace: env.namespace ?? 'default', dataConverter: dataConverterFor({ encryption: 'required', keys, compress: true }) });
    const workflowId = uniqueName('sealed-check');
    try {
      const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities });
      const report = await runWorkersUntil(workers, async () => {
        await clientFor(clientKeys).workflow.start(systemCheck, { taskQueue: config.taskQueues.orchestration, workflowId, args: [{ ...input, taskQueues: systemQueuesOf(config) }] });
        // Read back as the deployed product would after the rotation: with every configured key.
        return clientFor(workerKeys).workflow.getHandle<typeof systemCheck>(workflowId).result();
      });
      // What the server keeps, read without any codec.
      const raw = await new Client({ connection: env.connection, namespace: env.namespace ?? 'default' }).workflow.getHandle(workflowId).fetchHistory();
      return { report, raw: JSON.parse(JSON.stringify(raw)) as unknown, workflowId };
    } finally {
      await activities.close();
    }
  }

  const decode = (payloads: WirePayload[], headers: Record<string, string>) =>
    fetch(`${codecUrl}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers }, body: JSON.stringify({ payloads }) });

  it('keeps every workflow and activity payload sealed in the history; the product reads them as usual', async () => {
    const { report, raw } = await runCheck();
    assert.equal(report.ok, true);
    const payloads = storedPayloads(raw);
    assert.ok(payloads.length >= 10, `expected the input, result and activity payloads, got ${payloads.length}`);
    for (const p of payloads) {
      assert.equal(metadataOf(p, 'encoding'), 'binary/encrypted');
      const bytes = Buffer.from(p.data ?? '', 'base64').toString('latin1');
      for (const secret of [input.paymentId, input.caseNumber, input.trackingNumber]) assert.ok(!bytes.includes(secret), `${secret} readable in a stored payload`);
    }
  });

  it('seals failure messages and stack traces too: a failed activity leaves no readable message in the history', async () => {
    await admin(sandbox.urls.payments!).fault({ kind: 'outage', durationMs: 60_000 });
    try {
      const { report, raw } = await runCheck();
      assert.equal(report.systems.find((s) => s.system === 'payments')?.errorType, 'DownstreamUnavailableError', 'the product still reads the failure');
      const failures: { message?: string; stackTrace?: string; encodedAttributes?: WirePayload }[] = [];
      const walk = (node: unknown, key: string) => {
        if (!node || typeof node !== 'object') return;
        if (key === 'failure') failures.push(node as (typeof failures)[number]);
        for (const [k, v] of Object.entries(node)) walk(v, k);
      };
      walk(raw, '');
      assert.ok(failures.length >= 1, 'the outage left activity failures in the history');
      for (const failure of failures) {
        assert.equal(failure.message, 'Encoded failure');
        assert.ok(!failure.stackTrace);
        assert.equal(metadataOf(failure.encodedAttributes!, 'encoding'), 'binary/encrypted');
      }
    } finally {
      await admin(sandbox.urls.payments!).clearFaults();
    }
  });

  it('rotates keys under running work: sealed with the old key at start, the new key for what the workers write', async () => {
    const [newer, older] = testCodecKeys;
    const { report, raw } = await runCheck([older], [newer, older]);
    assert.equal(report.ok, true);
    const ids = new Set(storedPayloads(raw).map((p) => metadataOf(p, 'encryption-key-id')));
    assert.deepEqual([...ids].sort(), [newer.id, older.id].sort());
  });

  it('the codec server opens payloads for a caller with the read scope, refuses others, and serves the Web UI through CORS', async () => {
    const { raw } = await runCheck();
    const started = storedPayloads(raw)[0];

    const opened = await decode([started], { authorization: `Bearer ${readerKey}` });
    assert.equal(opened.status, 200);
    const [plain] = ((await opened.json()) as { payloads: WirePayload[] }).payloads;
    const value = defaultPayloadConverter.fromPayload({ metadata: Object.fromEntries(Object.entries(plain.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])), data: Buffer.from(plain.data ?? '', 'base64') });
    assert.equal((value as SystemCheckInput).paymentId, input.paymentId);

    for (const [headers, status] of [[{}, 401], [{ authorization: 'Bearer wrong-key-000000000000000000' }, 401], [{ 'x-api-key': starterKey }, 403], [{ authorization: `Bearer ${readerKey}`, 'x-namespace': 'other' }, 403]] as const) {
      const res = await decode([started], headers);
      assert.equal(res.status, status, JSON.stringify(headers));
      assert.match(res.headers.get('content-type') ?? '', /json/);
    }
    const malformed = await decode([{ data: '***not base64***' }], { authorization: `Bearer ${readerKey}` });
    assert.equal(malformed.status, 400);

    const preflight = await fetch(`${codecUrl}/decode`, { method: 'OPTIONS', headers: { origin: webUi, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
    assert.ok(preflight.status === 204 || preflight.status === 200);
    assert.equal(preflight.headers.get('access-control-allow-origin'), webUi);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /x-namespace/i);
    const foreign = await fetch(`${codecUrl}/decode`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);

    const roundTrip = await fetch(`${codecUrl}/encode`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${readerKey}` }, body: JSON.stringify({ payloads: [plain] }) });
    const [resealed] = ((await roundTrip.json()) as { payloads: WirePayload[] }).payloads;
    assert.equal(metadataOf(resealed, 'encoding'), 'binary/encrypted');
  });
});
