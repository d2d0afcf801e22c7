import assert from 'node:assert/strict';
import { testEnvTimeoutMs } from '../helpers/temporal';
import { apexNameProblem, externalServicesViolations, MAX_SCHEMA_CHARACTERS } from '../helpers/external-services';
import { startApiWorld, type ApiWorld } from './api-world';

type Json = Record<string, unknown>;

/**
 * Fields that keep their names for every other client (RFC 9457's `type`, money's `currency`, the
 * reconciliation classes) and that External Services renames: Apex words get a z0 prefix, `-` becomes x2d.
 */
const KNOWN_RENAMES = [
  'ApprovalResult/properties/currency',
  'CancelResult/properties/type',
  'IncomingEvent/properties/currency',
  'IncomingEvent/properties/type',
  'IncomingStockEvent/properties/type',
  'OverviewMissingPart/properties/system',
  'OverviewOrder/properties/currency',
  'OverviewOrderLine/properties/currency',
  'OverviewPayment/properties/currency',
  'Problem/properties/type',
  'Process/properties/type',
  'ReconciliationMismatch/properties/amounts/properties/erp/properties/currency',
  'ReconciliationMismatch/properties/amounts/properties/payments/properties/currency',
  'ReconciliationMismatch/properties/amounts/properties/salesforce/properties/currency',
  'ReconciliationMismatch/properties/class',
  'ReconciliationMismatch/properties/exception',
  'ReconciliationReport/properties/counts/properties/amount-mismatch',
  'ReconciliationReport/properties/counts/properties/missing-at-payment-provider',
  'ReconciliationReport/properties/counts/properties/missing-in-erp',
  'ReconciliationReport/properties/counts/properties/missing-in-salesforce',
];

/** The served /openapi.json against Salesforce External Services' import rules, and the rules against documents that break them. */
describe('HTTP API: importable by Salesforce External Services', function () {
  this.timeout(30_000);
  let world: ApiWorld;
  let spec: Json;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    world = await startApiWorld({ sandbox: false });
    spec = (await world.call('GET', '/openapi.json', { key: null })).body;
  });
  after(async () => {
    await world?.close();
  });

  it('breaks no rule, apart from the field names External Services imports renamed', () => {
    const violations = externalServicesViolations(spec);
    assert.deepEqual(violations.filter((v) => v.rule !== 'property-name'), []);
    // Pinned, so a new field that Flow would see renamed fails here; docs/salesforce.md lists these for Flow builders.
    assert.deepEqual(violations.map((v) => v.where.replace('#/components/schemas/', '')).sort(), KNOWN_RENAMES);
    assert.ok(JSON.stringify(spec).length < MAX_SCHEMA_CHARACTERS);
  });

  it('declares Idempotency-Key as a header parameter on every start, so it becomes an action input', () => {
    const paths = spec.paths as Record<string, Record<string, { operationId: string; parameters?: Json[] }>>;
    for (const path of ['/v1/case-resolutions', '/v1/refunds', '/v1/replacements']) {
      const header = (paths[path].post.parameters ?? []).find((p) => p.in === 'header');
      assert.deepEqual([header?.name, (header?.schema as Json | undefined)?.type], ['Idempotency-Key', 'string'], path);
    }
  });

  it('declares the case-keyed routes by case number, with every status a Flow branches on', () => {
    const paths = spec.paths as Record<string, Record<string, { parameters?: Json[]; responses: Record<string, Json> }>>;
    for (const [path, method, success] of [
      ['/v1/cases/{caseNumber}', 'get', '200'],
      ['/v1/cases/{caseNumber}/approval', 'post', '200'],
      ['/v1/cases/{caseNumber}/decision', 'post', '200'],
      ['/v1/cases/{caseNumber}/cancel', 'post', '202'],
    ] as const) {
      const op = paths[path]?.[method];
      assert.ok(op, `${method} ${path}`);
      assert.deepEqual(op.parameters?.map((p) => [p.name, p.in]), [['caseNumber', 'path']]);
      for (const status of [success, '400', '401', '403', '404']) assert.ok(op.responses[status], `${path} declares ${status}`);
    }
  });

  it('finds each broken rule in a document built to break them', () => {
    const bad = {
      openapi: '3.1.0',
      paths: {
        '/things/{id}': {
          get: {
            operationId: 'get-thing',
            parameters: [{ in: 'path', schema: { type: 'string' } }, { name: 'X-Trace', in: 'header', schema: { type: 'integer' } }],
            requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
            responses: { 200: { description: 'ok', content: { 'application/problem+json': { schema: { type: 'object' } } } }, 404: { description: 'x', content: { 'text/csv': { schema: { type: 'string' } } } } },
          },
          post: { responses: { 200: { description: 'ok' } } },
        },
      },
      components: {
        schemas: {
          Thing: { type: 'object', properties: { class: { type: 'string' }, grid: { type: 'array', items: { type: 'array', items: { type: 'number' } } }, ok_: { type: 'string' } } },
          NotThing: { not: { type: 'string' } },
          Padded: { type: 'object', description: 'x'.repeat(MAX_SCHEMA_CHARACTERS) },
        },
      },
    };
    const rules = externalServicesViolations(bad).map((v) => v.rule);
    for (const rule of ['openapi-version', 'schema-size', 'operation-name', 'parameter-name', 'header-parameter', 'get-with-body', 'media-type', 'operation-id', 'not', 'array-of-arrays', 'property-name']) {
      assert.ok(rules.includes(rule), `${rule} in ${rules.join(', ')}`);
    }
    assert.equal(rules.filter((r) => r === 'media-type').length, 2);
    assert.equal(rules.filter((r) => r === 'property-name').length, 2);
  });

  it('knows Apex identifiers', () => {
    for (const good of ['caseNumber', 'workflowId', 'stateJson', 'z0type', 'sf_Id']) assert.equal(apexNameProblem(good), undefined, good);
    for (const bad of ['type', 'Class', 'select', '1st', 'a-b', 'sf__Id', 'trailing_', '_lead']) assert.ok(apexNameProblem(bad), bad);
  });
});
