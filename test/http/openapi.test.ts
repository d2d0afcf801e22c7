import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { testEnvTimeoutMs } from '../helpers/temporal';
import { startApiWorld, type ApiWorld } from './api-world';

type Json = Record<string, unknown>;

/** The spec Salesforce External Services imports: valid OpenAPI 3.0.x within the documented limits. */
describe('HTTP API: OpenAPI document', function () {
  this.timeout(30_000);
  let world: ApiWorld;
  let spec: Json;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    world = await startApiWorld({ sandbox: false });
    const reply = await world.call('GET', '/openapi.json', { key: null });
    assert.equal(reply.status, 200);
    spec = reply.body;
  });
  after(async () => {
    await world?.close();
  });

  it('is a valid OpenAPI 3.0.x document', async () => {
    assert.match(String(spec.openapi), /^3\.0\.\d+$/);
    await SwaggerParser.validate(structuredClone(spec) as never);
  });

  it('names every operation and covers every /v1 route', () => {
    const ids: string[] = [];
    for (const [path, item] of Object.entries(spec.paths as Record<string, Json>)) {
      for (const [method, op] of Object.entries(item)) {
        const operation = op as Json;
        assert.equal(typeof operation.operationId, 'string', `${method} ${path} has an operationId`);
        ids.push(String(operation.operationId));
        for (const p of (operation.parameters ?? []) as Json[]) assert.ok(p.name, `${operation.operationId}: every parameter is named`);
        if (method === 'get') assert.equal(operation.requestBody, undefined, 'no GET with a body');
      }
    }
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    assert.deepEqual(ids.sort(), [
      'cancelCaseProcesses',
      'cancelProcess',
      'chooseCaseResolution',
      'chooseCaseResolutionForCase',
      'createReturnAuthorization',
      'decideCaseRefundApproval',
      'decideRefundApproval',
      'getCaseProcesses',
      'getCustomer',
      'getInventoryAvailability',
      'getOrderOverview',
      'getPrices',
      'getProcess',
      'getReconciliationReport',
      'getReconciliationReportCsv',
      'getSloReport',
      'ingestEvents',
      'ingestStockEvents',
      'startCaseResolution',
      'startOrderBackfill',
      'startRefund',
      'startReplacement',
    ]);
  });

  it('stays within External Services limits: no `not`, no anonymous arrays of objects or arrays, bodies as named components', () => {
    const found: string[] = [];
    walk(spec, '#', (node, where) => {
      if ('not' in node && where.includes('schema')) found.push(`not at ${where}`);
      if (node.type === 'array') {
        const items = (node.items ?? {}) as Json;
        const anonymous = !items.$ref && (items.type === 'object' || items.type === 'array' || items.properties || items.items);
        if (anonymous) found.push(`anonymous array items at ${where}`);
      }
    });
    assert.deepEqual(found, []);

    for (const [path, item] of Object.entries(spec.paths as Record<string, Json>)) {
      for (const op of Object.values(item) as Json[]) {
        const body = op.requestBody as { content: Record<string, { schema: Json }> } | undefined;
        if (body) assert.match(String(body.content['application/json'].schema.$ref), /^#\/components\/schemas\/\w+$/, `${path}: body is a component`);
        for (const [status, response] of Object.entries(op.responses as Record<string, { content?: Record<string, { schema: Json }> }>)) {
          for (const media of Object.values(response.content ?? {})) assert.ok(media.schema.$ref, `${path} ${status}: response is a component`);
        }
        assert.deepEqual(op.security, [{ ApiKey: [] }]);
      }
    }
    const schemes = (spec.components as Json).securitySchemes as Json;
    assert.deepEqual(schemes.ApiKey, { type: 'apiKey', in: 'header', name: 'X-API-Key', description: (schemes.ApiKey as Json).description });
    const schemas = Object.keys((spec.components as Json).schemas as Json);
    for (const name of ['RefundStart', 'ReplacementStart', 'CaseResolutionStart', 'StartedProcess', 'Process', 'Problem', 'RefundLine', 'CaseProcesses', 'CaseCancelResult']) assert.ok(schemas.includes(name), name);
  });

  it('declares errors as application/json with the Problem schema, and the CSV report as text/plain', () => {
    const paths = spec.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Json }> }> }>>;
    for (const [path, item] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400) continue;
          assert.deepEqual(Object.keys(response.content ?? {}), ['application/json'], `${method} ${path} ${status}`);
          assert.equal(response.content!['application/json'].schema.$ref, '#/components/schemas/Problem');
        }
      }
    }
    assert.deepEqual(Object.keys(paths['/v1/reconciliations/{date}/report.csv'].get.responses['200'].content ?? {}), ['text/plain']);
  });

  it('serves interactive docs at /docs', async () => {
    const docs = await world.call('GET', '/docs/', { key: null });
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get('content-type') ?? '', /text\/html/);
    const json = await world.call('GET', '/docs/json', { key: null });
    assert.equal(json.body.openapi, spec.openapi);
  });
});

function walk(node: unknown, where: string, visit: (node: Json, where: string) => void): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}/${i}`, visit));
  visit(node as Json, where);
  for (const [k, v] of Object.entries(node)) walk(v, `${where}/${k}`, visit);
}
