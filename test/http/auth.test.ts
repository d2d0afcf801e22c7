import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { apiConfig, apiConfigFromEnv, hashApiKey } from '../../src/config/api';
import { createLogger } from '../../src/observability/logger';
import { buildApp } from '../../src/starters/http/app';
import { ensureDevelopmentKey, readDevelopmentKey } from '../../src/starters/http/dev-key';
import { testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { assertProblem, call, keys, startApiWorld, testKeys, type ApiWorld } from './api-world';

/** Keys and scopes, rate limit, request ids, health, readiness and metrics: no workers needed. */
describe('HTTP API: auth, limits and operations endpoints', function () {
  this.timeout(30_000);
  let world: ApiWorld;
  const unknownProcess = () => `/v1/processes/${encodeURIComponent(uniqueName('refund/none'))}`;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    world = await startApiWorld({ sandbox: false });
  });
  after(async () => {
    await world?.close();
  });

  it('answers 401 without a key and with an unknown key, 403 for a key without the route\'s scope', async () => {
    assertProblem(await world.call('GET', unknownProcess(), { key: null }), 401, 'unauthorized');
    assertProblem(await world.call('GET', unknownProcess(), { key: 'rk_wrong' }), 401, 'unauthorized');
    const body = { caseNumber: uniqueName('00010001') };
    const forbidden = await world.call('POST', '/v1/case-resolutions', { key: keys.reader, body });
    assertProblem(forbidden, 403, 'forbidden');
    assert.equal(forbidden.body.requiredScope, 'start');
    assertProblem(await world.call('POST', `${unknownProcess()}/cancel`, { key: keys.flow, body: { reason: 'x' } }), 403, 'forbidden');
    const { count } = await world.env.client.workflow.count(`CaseNumber = "${body.caseNumber}"`);
    assert.equal(count, 0, 'a refused request starts nothing');
    // With the scope, the same route reaches the process layer (here: an unknown process).
    assertProblem(await world.call('GET', unknownProcess(), { key: keys.reader }), 404, 'process-not-found');
  });

  it('echoes X-Request-Id (or makes one) on every answer, errors included', async () => {
    const given = `flow-${Date.now()}`;
    const ok = await world.call('GET', '/healthz', { headers: { 'x-request-id': given } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('x-request-id'), given);
    const failed = await world.call('GET', unknownProcess(), { key: null, headers: { 'x-request-id': given } });
    assertProblem(failed, 401);
    assert.equal(failed.body.requestId, given);
    const made = await world.call('GET', '/nowhere');
    assertProblem(made, 404, 'not-found');
    assert.match(made.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const unsafe = await world.call('GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    assert.notEqual(unsafe.headers.get('x-request-id'), 'bad id with spaces');
  });

  it('rate-limits per key with 429, Retry-After and a problem; other keys are unaffected', async () => {
    const limited = await startApiWorld({ sandbox: false, api: { rateLimitMax: 3, rateLimitWindowMs: 60_000 } });
    try {
      const path = unknownProcess();
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await limited.call('GET', path, { key: keys.reader })).status);
      assert.deepEqual(statuses, [404, 404, 404, 429]);
      const refused = await limited.call('GET', path, { key: keys.reader });
      assertProblem(refused, 429, 'rate-limited');
      assert.ok(Number(refused.headers.get('retry-after')) > 0, 'Retry-After in seconds');
      assert.equal((await limited.call('GET', path, { key: keys.ops })).status, 404, 'another key has its own budget');
      assert.equal((await limited.call('GET', '/healthz')).status, 200, 'health is never rate limited');
    } finally {
      await limited.close();
    }
  });

  it('serves /healthz, /readyz (200 with Temporal, 503 without) and /metrics with moving counters', async () => {
    assert.deepEqual((await world.call('GET', '/healthz', { key: null })).body, { status: 'ok' });
    const ready = await world.call('GET', '/readyz', { key: null });
    assert.equal(ready.status, 200);

    const before = counter((await world.call('GET', '/metrics', { key: null })).text, '/v1/processes/:workflowId', '404');
    await world.call('GET', unknownProcess());
    await world.call('GET', unknownProcess());
    const metrics = await world.call('GET', '/metrics', { key: null });
    assert.equal(metrics.status, 200);
    assert.equal(counter(metrics.text, '/v1/processes/:workflowId', '404'), before + 2);
    assert.match(metrics.text, /http_request_duration_seconds_bucket\{[^}]*route="\/v1\/processes\/:workflowId"/);
    assert.match(metrics.text, /process_cpu_user_seconds_total/);

    // A client whose server is gone: not ready, as a problem.
    const connection = await Connection.lazy({ address: '127.0.0.1:1' });
    const app = await buildApp({ client: new Client({ connection }), config: world.config, api: apiConfig({ keys: testKeys, readyTimeoutMs: 500 }), logger: createLogger({ level: 'error' }) });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address() as { port: number };
      assertProblem(await call(`http://127.0.0.1:${address.port}`, 'GET', '/readyz', { key: null }), 503, 'not-ready');
    } finally {
      await app.close();
      await connection.close();
    }
  });

  it('answers 501 for the order overview when no overview service is configured', async () => {
    assertProblem(await world.call('GET', '/v1/orders/SO-100013/overview', { key: null }), 401);
    assertProblem(await world.call('GET', '/v1/orders/SO-100013/overview', { key: keys.reader }), 501, 'not-configured');
  });

  it('reads keys from the environment as hashes with scopes; RETAIL_API_KEY gets every scope', () => {
    const api = apiConfigFromEnv({ RETAIL_API_KEYS: JSON.stringify([{ name: 'salesforce-flow', sha256: hashApiKey('k1'), scopes: ['start', 'read'] }]), RETAIL_API_KEY: 'k2' });
    assert.deepEqual(
      api.keys.map((k) => [k.name, k.sha256, k.scopes]),
      [
        ['salesforce-flow', hashApiKey('k1'), ['start', 'read']],
        ['env', hashApiKey('k2'), ['start', 'signal', 'read', 'events', 'operate']],
      ],
    );
    assert.throws(() => apiConfigFromEnv({ RETAIL_API_KEYS: 'not json' }), /RETAIL_API_KEYS/);
    assert.throws(() => apiConfigFromEnv({ RETAIL_API_KEYS: JSON.stringify([{ name: 'x', sha256: 'short', scopes: ['start'] }]) }), /sha256/);
    assert.throws(() => apiConfigFromEnv({ RETAIL_API_KEYS: JSON.stringify([{ name: 'x', sha256: hashApiKey('k'), scopes: ['admin'] }]) }), /scopes/);
  });

  it('makes a development key once, mode 0600, and reads the same one back', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'api-dev-key-'));
    assert.equal(readDevelopmentKey(stateDir), undefined);
    const first = ensureDevelopmentKey(stateDir);
    assert.equal(first.created, true);
    assert.equal(statSync(first.path).mode & 0o777, 0o600);
    const second = ensureDevelopmentKey(stateDir);
    assert.deepEqual([second.created, second.key], [false, first.key]);
    assert.equal(readDevelopmentKey(stateDir), first.key);
  });
});

/** The value of http_requests_total for a route and status (0 when absent). */
function counter(metrics: string, route: string, status: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith('http_requests_total{') && l.includes(`route="${route}"`) && l.includes(`status="${status}"`) && l.includes('method="GET"'));
  return line ? Number(line.split(' ').pop()) : 0;
}
