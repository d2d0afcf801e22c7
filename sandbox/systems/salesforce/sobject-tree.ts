import type { FastifyInstance } from 'fastify';
import { apiVersion } from './data-routes';
import { SfError } from './errors';
import type { Effect } from './records';
import { snapshot, write, type Ctx } from './respond';
import { findChildRelationship, findObject, type ObjectDef } from './schema';

const MAX_RECORDS = 200;
const MAX_TYPES = 5;
const MAX_DEPTH = 5;

interface TreeNode {
  referenceId: string;
  object: ObjectDef;
  fields: Record<string, unknown>;
  level: number;
  parent?: { node: TreeNode; field: string };
  id?: string;
}
type RecordError = { referenceId: string; errors: { statusCode: string; message: string; fields: string[] }[] };

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const recordError = (referenceId: string, statusCode: string, message: string, fields: string[] = []): RecordError => ({ referenceId, errors: [{ statusCode, message, fields }] });

/** The trees as one list, parents before children, with what is wrong with single records. */
function flatten(records: unknown, object: ObjectDef, level: number, parent: TreeNode['parent'], nodes: TreeNode[], problems: RecordError[]): void {
  if (!Array.isArray(records)) throw new SfError(400, 'JSON_PARSER_ERROR', `records of ${object.name} must be an array`);
  if (level > MAX_DEPTH) throw new SfError(400, 'INVALID_INPUT', `sObject trees can be at most ${MAX_DEPTH} levels deep`);
  for (const record of records) {
    if (!isObject(record)) throw new SfError(400, 'JSON_PARSER_ERROR', `each record of ${object.name} must be an object`);
    const { attributes, ...rest } = record;
    const attrs = isObject(attributes) ? attributes : {};
    const referenceId = typeof attrs.referenceId === 'string' ? attrs.referenceId : '';
    if (!referenceId) problems.push(recordError('', 'INVALID_INPUT', 'Include a reference ID for each record in the request.'));
    if (typeof attrs.type !== 'string' || findObject(attrs.type)?.name !== object.name) {
      problems.push(recordError(referenceId, 'INVALID_INPUT', `The record's attributes.type must be ${object.name}, got ${String(attrs.type ?? 'none')}`));
    }
    const node: TreeNode = { referenceId, object, fields: {}, level, parent };
    nodes.push(node);
    for (const [key, value] of Object.entries(rest)) {
      if (!isObject(value) || !('records' in value)) {
        node.fields[key] = value;
        continue;
      }
      const relationship = findChildRelationship(object, key);
      if (!relationship) {
        problems.push(recordError(referenceId, 'INVALID_FIELD', `No such column '${key}' on sobject of type ${object.name}`, [key]));
        continue;
      }
      flatten(value.records, relationship.child, level + 1, { node, field: relationship.field.name }, nodes, problems);
    }
  }
}

/**
 * sObject Tree: nested parent-child records created all or nothing, level by level (roots of
 * every tree first), each child's lookup set to its new parent.
 */
export function registerTreeRoute(app: FastifyInstance, ctx: Ctx): void {
  app.post('/services/data/:version/composite/tree/:type', async (request, reply) =>
    write(ctx, request, reply, (org, effects) => {
      apiVersion(request);
      const object = findObject((request.params as { type: string }).type);
      if (!object) throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
      const body = request.body;
      if (!isObject(body) || !Array.isArray(body.records)) throw new SfError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object with a records array');

      const nodes: TreeNode[] = [];
      const problems: RecordError[] = [];
      flatten(body.records, object, 1, undefined, nodes, problems);
      if (nodes.length > MAX_RECORDS) throw new SfError(400, 'INVALID_INPUT', `An sObject tree request can contain at most ${MAX_RECORDS} records; this one has ${nodes.length}`);
      const types = new Set(nodes.map((n) => n.object.name));
      if (types.size > MAX_TYPES) throw new SfError(400, 'INVALID_INPUT', `An sObject tree request can contain records of at most ${MAX_TYPES} types; this one has ${types.size}`);
      const counts = new Map<string, number>();
      for (const n of nodes) if (n.referenceId) counts.set(n.referenceId, (counts.get(n.referenceId) ?? 0) + 1);
      // Every record carrying a duplicated reference id is reported, one entry each.
      for (const n of nodes) if ((counts.get(n.referenceId) ?? 0) > 1) problems.push(recordError(n.referenceId, 'INVALID_INPUT', `Duplicate ReferenceId provided in the request: ${n.referenceId}`));
      if (problems.length) return { status: 400, body: { hasErrors: true, results: problems } };

      const restore = snapshot(ctx.store.data);
      const created: Effect[] = [];
      const ordered = [...nodes].sort((a, b) => a.level - b.level);
      for (const node of ordered) {
        try {
          const fields = node.parent ? { ...node.fields, [node.parent.field]: node.parent.node.id } : node.fields;
          node.id = org.create(node.object, fields, created);
        } catch (err) {
          if (!(err instanceof SfError)) throw err;
          // The first failure undoes the records already created; only it is reported.
          restore();
          return { status: 400, body: { hasErrors: true, results: [recordError(node.referenceId, err.errorCode, err.message, err.fields)] } };
        }
      }
      effects.push(...created);
      return { status: 201, body: { hasErrors: false, results: ordered.map((n) => ({ referenceId: n.referenceId, id: n.id })) } };
    }),
  );
}
