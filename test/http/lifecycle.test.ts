import assert from 'node:assert/strict';
import { apiConfig, apiConfigFromEnv } from '../../src/config/api';
import { buildApp } from '../../src/starters/http/app';
import { createLogger } from '../../src/observability/logger';
import { externalServicesViolations } from '../helpers/external-services';
import { testEnvTimeoutMs } from '../helpers/temporal';
import { assertProblem, keys, startApiWorld, testKeys, type ApiWorld } from './api-world';

type Json = Record<string, unknown>;

const deprecatedAt = '2026-06-01T00:00:00Z';
const sunsetAt = '2099-01-01T00:00:00Z';
const link = 'https://developer.example.com/retail/deprecations/reconciliation-report';

/** The lifecycle table drives headers, the spec, the 410 after a sunset and the per-key usage metric; entries come from configuration here. */
describe('HTTP API: deprecation and retirement', function () {
  this.timeout(30_000);
  let world: ApiWorld;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    world = await startApiWorld({
      sandbox: false,
      api: {
        deprecations: [
          { operationId: 'getReconciliationReport', deprecatedAt, sunsetAt, successor: 'getReconciliationReportCsv', link },
          { operationId: 'cancelCaseProcesses', deprecatedAt: '2025-01-01T00:00:00Z', sunsetAt: '2026-01-01T00:00:00Z', successor: 'cancelProcess' },
        ],
      },
    });
  });
  after(async () => {
    await world?.close();
  });

  it('answers a deprecated operation with RFC 9745 Deprecation, RFC 8594 Sunset and their links', async () => {
    const reply = await world.call('GET', '/v1/reconciliations/2020-01-01', { key: keys.reader });
    assert.equal(reply.status, 404, reply.text);
    assert.equal(reply.headers.get('deprecation'), `@${Date.parse(deprecatedAt) / 1000}`);
    assert.equal(reply.headers.get('sunset'), 'Thu, 01 Jan 2099 00:00:00 GMT');
    assert.equal(reply.headers.get('link'), `<${link}>; rel="deprecation"; type="text/html", <${link}>; rel="sunset"; type="text/html"`);

    // Even a caller refused for its key learns that the route is going away.
    const refused = await world.call('GET', '/v1/reconciliations/2020-01-01', { key: null });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('deprecation'), `@${Date.parse(deprecatedAt) / 1000}`);
  });

  it('leaves operations that are not in the table without lifecycle headers', async () => {
    const reply = await world.call('GET', '/v1/reconciliations/2020-01-01/report.csv', { key: keys.reader });
    assert.equal(reply.status, 404, reply.text);
    assert.equal(reply.headers.get('deprecation'), null);
    assert.equal(reply.headers.get('sunset'), null);
  });

  it('answers 410 operation-retired after the sunset, naming the successor, without running the operation', async () => {
    const reply = await world.call('POST', '/v1/cases/00010001/cancel', { body: { reason: 'customer changed their mind' } });
    assertProblem(reply, 410, 'operation-retired');
    assert.equal(reply.body.successor, 'cancelProcess');
    assert.equal(reply.body.sunset, '2026-01-01T00:00:00Z');
    assert.equal(reply.headers.get('sunset'), 'Thu, 01 Jan 2026 00:00:00 GMT');
  });

  it('marks deprecated operations in the spec, with the 410 they will answer, and stays importable by External Services', async () => {
    const spec = (await world.call('GET', '/openapi.json', { key: null })).body;
    const paths = spec.paths as Record<string, Record<string, Json>>;
    const report = paths['/v1/reconciliations/{date}'].get;
    assert.equal(report.deprecated, true);
    assert.match(String(report.description), /Deprecated since 2026-06-01T00:00:00Z\. Retired at 2099-01-01T00:00:00Z: from then on it answers 410\. Use getReconciliationReportCsv instead\./);
    assert.ok((report.responses as Json)['410'], 'the 410 is declared');
    const csv = paths['/v1/reconciliations/{date}/report.csv'].get;
    assert.equal(csv.deprecated, undefined);
    assert.equal((csv.responses as Json)['410'], undefined);
    assert.equal((spec.info as Json).version, '1.0.0');
    // Renamed properties are listed by external-services.test.ts; the lifecycle adds no violation of its own.
    assert.deepEqual(externalServicesViolations(spec).filter((v) => v.rule !== 'property-name'), []);
    for (const path of Object.keys(paths)) assert.match(path, /^\/v1\//, 'every operation under the major version');
  });

  it('counts each operation\'s calls per API key name on /metrics', async () => {
    for (let i = 0; i < 3; i++) await world.call('GET', '/v1/reconciliations/2020-01-02', { key: keys.reader });
    await world.call('GET', '/v1/reconciliations/2020-01-02', { key: keys.ops });
    await world.call('GET', '/v1/reconciliations/2020-01-02', { key: 'rk_test_not_a_key' });
    const metrics = (await world.call('GET', '/metrics', { key: null })).text;
    const count = (operation: string, key: string) => Number(metrics.match(new RegExp(`^api_operation_requests_total\\{operation="${operation}",key="${key}"\\} (\\d+)$`, 'm'))?.[1] ?? 0);
    // The reader's 1 call in the first test plus 3 here; ops once; the unknown key and the keyless call as anonymous.
    assert.equal(count('getReconciliationReport', 'reader'), 4);
    assert.equal(count('getReconciliationReport', 'ops'), 1);
    assert.equal(count('getReconciliationReport', 'anonymous'), 2);
    assert.equal(count('getReconciliationReportCsv', 'reader'), 1);
    assert.equal(count('cancelCaseProcesses', 'ops'), 1);
    assert.match(metrics, /^api_operation_sunset_timestamp_seconds\{operation="getReconciliationReport"\} 4070908800$/m);
    assert.match(metrics, /^api_operation_deprecated_timestamp_seconds\{operation="cancelCaseProcesses"\} 1735689600$/m);
    // The key label holds key names only: the presented secret never becomes a label.
    assert.doesNotMatch(metrics, /rk_test_/);
  });

  it('refuses a table entry that names no operation, or a sunset before the deprecation', async () => {
    const build = (deprecations: unknown) => buildApp({ client: world.env.client, config: world.config, api: apiConfig({ keys: testKeys, deprecations: deprecations as never }), logger: createLogger({ level: 'error', format: 'json' }) });
    await assert.rejects(build([{ operationId: 'getOrderStatus', deprecatedAt }]), /API_DEPRECATIONS names getOrderStatus, which is no API operation/);
    await assert.rejects(build([{ operationId: 'getProcess', deprecatedAt, successor: 'getProcessV2' }]), /getProcessV2 as the successor of getProcess/);
    assert.throws(() => apiConfig({ deprecations: [{ operationId: 'getProcess', deprecatedAt: sunsetAt, sunsetAt: deprecatedAt }] }), /sunsetAt must be after deprecatedAt/);
    assert.throws(() => apiConfigFromEnv({ API_DEPRECATIONS: '[{"operationId":' }), /API_DEPRECATIONS is not JSON/);
    assert.throws(() => apiConfigFromEnv({ API_DEPRECATIONS: '[{"operationId":"getProcess","deprecatedAt":"next week"}]' }), /deprecatedAt/);
    assert.equal(apiConfigFromEnv({ API_DEPRECATIONS: `[{"operationId":"getProcess","deprecatedAt":"${deprecatedAt}"}]` }).deprecations[0]?.operationId, 'getProcess');
  });
});
