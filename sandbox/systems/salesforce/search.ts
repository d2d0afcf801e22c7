import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SfError } from './errors';
import { apiVersion, dataBase, engine } from './data-routes';
import { read, type Ctx } from './respond';
import { findField, findObject, objectNames, type FieldDef, type ObjectDef } from './schema';
import { isSubquery, parseSoql, type SoqlQuery, type SoqlEngine } from './soql';
import { malformedSearch, parseSearchQuery, parseSosl, SEARCH_GROUPS, words, type ReturningSpec, type SearchExpr, type SearchGroup, type SearchTerm } from './sosl';
import { queryTable, type SalesforceState, type SfRecord } from './state';

/**
 * SOSL search (`/search?q=FIND {...}`), parameterized search, the search scope and result layouts.
 * The search index holds the text-like fields of the searchable objects; RETURNING's fields, WHERE,
 * ORDER BY, LIMIT and OFFSET go through the SOQL engine, so they are checked and evaluated as /query does.
 */

const MAX_RESULTS = 2000;
// Objects Salesforce keeps out of the search index: their rows are found through their parents.
const NOT_SEARCHABLE = new Set(['OrderItem', 'PricebookEntry', 'CaseComment']);
const TEXT_TYPES = new Set(['string', 'textarea', 'picklist', 'email', 'phone']);
// The name field(s) where an object has no `Name`, or more than it (Salesforce's NAME FIELDS list).
const NAME_FIELDS: Record<string, string[]> = {
  User: ['Name', 'FirstName', 'LastName'],
  Contact: ['FirstName', 'LastName'],
  Case: ['CaseNumber', 'Subject'],
  Order: ['OrderNumber'],
  Task: ['Subject'],
};

/** The default global search scope, in the order results are grouped. */
const scope = (): ObjectDef[] => objectNames().filter((n) => !NOT_SEARCHABLE.has(n)).map((n) => findObject(n)!);

const nameFields = (object: ObjectDef): FieldDef[] => (NAME_FIELDS[object.name] ?? ['Name']).map((n) => findField(object, n)).filter((f): f is FieldDef => !!f);

function searchedFields(object: ObjectDef, group: SearchGroup): FieldDef[] {
  const text = object.fields.filter((f) => TEXT_TYPES.has(f.type));
  // Products ignore the IN clause: all their fields are always searched.
  if (object.name === 'Product2' || group === 'ALL' || group === 'SIDEBAR') return text;
  if (group === 'NAME') return nameFields(object);
  return text.filter((f) => f.type === (group === 'EMAIL' ? 'email' : 'phone'));
}

interface IndexedField {
  tokens: string[];
  digits?: string;
  weight: number;
}

function indexRecord(record: SfRecord, fields: FieldDef[], names: Set<string>): IndexedField[] {
  const out: IndexedField[] = [];
  for (const f of fields) {
    const value = record[f.name];
    if (typeof value !== 'string' || !value) continue;
    out.push({ tokens: words(value), weight: names.has(f.name) ? 2 : 1, ...(f.type === 'phone' ? { digits: value.replace(/\D/g, '') } : {}) });
  }
  return out;
}

function fieldHas(term: SearchTerm, field: IndexedField): boolean {
  // A phone number is found by its digits however it was written, also without the country code.
  if (term.digits && field.digits && (field.digits === term.digits || (term.digits.length >= 7 && field.digits.endsWith(term.digits)))) return true;
  const n = term.tokens.length;
  for (let start = 0; start + n <= field.tokens.length; start++) {
    if (term.tokens.every((t, k) => (typeof t === 'string' ? field.tokens[start + k] === t : t.test(field.tokens[start + k])))) return true;
  }
  return false;
}

function matches(expr: SearchExpr, doc: IndexedField[]): boolean {
  switch (expr.op) {
    case 'term':
      return doc.some((f) => fieldHas(expr, f));
    case 'and':
      return expr.items.every((e) => matches(e, doc));
    case 'or':
      return expr.items.some((e) => matches(e, doc));
    case 'not':
      return !matches(expr.item, doc);
  }
}

/** Relevance: how many fields the wanted terms hit, name fields counting double. */
function score(expr: SearchExpr, doc: IndexedField[]): number {
  switch (expr.op) {
    case 'term':
      return doc.filter((f) => fieldHas(expr, f)).reduce((s, f) => s + f.weight, 0);
    case 'not':
      return 0;
    default:
      return expr.items.reduce((s, e) => s + score(e, doc), 0);
  }
}

interface Plan {
  object: ObjectDef;
  query: SoqlQuery;
  limit?: number;
  offset: number;
}

/** A RETURNING entry as a SOQL query over its object; syntax errors in it are search syntax errors. */
function plan(eng: SoqlEngine, spec: ReturningSpec): Plan {
  let query: SoqlQuery;
  try {
    query = parseSoql(`SELECT ${spec.fields} FROM ${spec.object} ${spec.tail}`);
  } catch (err) {
    if (err instanceof SfError && err.errorCode === 'MALFORMED_QUERY') throw malformedSearch(err.message);
    throw err;
  }
  // RETURNING takes fields only: no aggregates and no child subqueries.
  if (query.count || query.aggregate) throw malformedSearch(`aggregate functions are not supported in RETURNING ${spec.object}`);
  if (query.fields.some(isSubquery)) throw malformedSearch(`child relationship queries are not supported in RETURNING ${spec.object}`);
  const object = eng.resolveObject(spec.object);
  if (NOT_SEARCHABLE.has(object.name)) throw new SfError(400, 'INVALID_TYPE', `entity type ${object.name} does not support search`);
  return { object, query: { ...query, limit: undefined, offset: undefined }, limit: query.limit, offset: query.offset ?? 0 };
}

/**
 * Runs a search: each object's matches in its ORDER BY (or by relevance), then the overall limit:
 * objects with their own LIMIT take theirs in order, the rest of the allowance is shared evenly.
 */
function execute(state: SalesforceState, base: string, search: SearchExpr, group: SearchGroup, specs: ReturningSpec[], overall = MAX_RESULTS): Record<string, unknown>[] {
  const eng = engine(state, false);
  const plans = specs.map((s) => plan(eng, s));
  const found = plans.map((p) => {
    const table = queryTable(state, p.object.name, false);
    const fields = searchedFields(p.object, group);
    const names = new Set(nameFields(p.object).map((f) => f.name));
    const scores = new Map<string, number>();
    for (const record of Object.values(table)) {
      const doc = indexRecord(record, fields, names);
      if (doc.length && matches(search, doc)) scores.set(String(record.Id), score(search, doc));
    }
    const run = eng.run(p.query);
    let ids = run.ids.filter((id) => scores.has(id));
    if (!p.query.orderBy.length) ids = ids.map((id, i) => ({ id, i })).sort((a, b) => scores.get(b.id)! - scores.get(a.id)! || a.i - b.i).map((x) => x.id);
    return { plan: p, table, select: run.select, ids: ids.slice(p.offset), take: 0 };
  });

  let remaining = Math.min(overall, MAX_RESULTS);
  for (const f of found) {
    if (f.plan.limit === undefined) continue;
    f.take = Math.min(f.plan.limit, f.ids.length, remaining);
    remaining -= f.take;
  }
  const open = found.filter((f) => f.plan.limit === undefined);
  while (remaining > 0) {
    const hungry = open.filter((f) => f.take < f.ids.length);
    if (!hungry.length) break;
    for (const f of hungry) {
      if (remaining === 0) break;
      f.take++;
      remaining--;
    }
  }
  return found.flatMap((f) => f.ids.slice(0, f.take).map((id) => eng.shape(f.plan.object, f.table[id], f.select, base)));
}

/** From API 37.0 on the records come wrapped in `searchRecords`; before, as a bare array. */
const answer = (request: FastifyRequest, records: Record<string, unknown>[]) => ({ status: 200, body: Number(apiVersion(request)) >= 37 ? { searchRecords: records } : records });

const idOnly = (): ReturningSpec[] => scope().map((o) => ({ object: o.name, fields: 'Id', tail: '' }));

const limitValue = (name: string, raw: unknown): number | undefined => {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(String(raw))) throw new SfError(400, 'ILLEGAL_QUERY_PARAMETER_VALUE', `${name}: invalid value ${String(raw)}, expected a non-negative integer`);
  return Number(raw);
};

interface ObjectParams {
  name: string;
  fields?: string[];
  where?: string;
  limit?: number;
}
interface SearchParams {
  q?: string;
  in?: string;
  fields?: string[];
  sobjects?: ObjectParams[];
  overallLimit?: number;
  defaultLimit?: number;
}

/** A parameterized search: the same search with its RETURNING written as parameters. */
function parameterized(state: SalesforceState, base: string, params: SearchParams): Record<string, unknown>[] {
  if (typeof params.q !== 'string' || !params.q.trim()) throw malformedSearch('No search term found. The search term must be specified in q.');
  const group = (params.in ?? 'ALL').toUpperCase() as SearchGroup;
  if (!SEARCH_GROUPS.includes(group)) throw new SfError(400, 'ILLEGAL_QUERY_PARAMETER_VALUE', `in: invalid value ${params.in}, expected one of ${SEARCH_GROUPS.join(', ')}`);
  const search = parseSearchQuery(params.q);
  const overall = limitValue('overallLimit', params.overallLimit);
  const defaultLimit = limitValue('defaultLimit', params.defaultLimit);
  const specs = params.sobjects?.length
    ? params.sobjects.map((o) => {
        if (typeof o?.name !== 'string' || !o.name) throw new SfError(400, 'INVALID_TYPE', 'sobject name is required');
        const fields = o.fields?.length ? o.fields : params.fields?.length ? params.fields : ['Id'];
        const limit = limitValue(`${o.name}.limit`, o.limit) ?? defaultLimit;
        const tail = `${o.where ? `WHERE ${o.where}` : ''}${limit !== undefined ? ` LIMIT ${limit}` : ''}`;
        return { object: o.name, fields: fields.join(', '), tail };
      })
    : idOnly();
  return execute(state, base, search, group, specs, overall);
}

function paramsFromQuery(query: Record<string, string | string[] | undefined>): SearchParams {
  const one = (key: string) => {
    const v = query[key];
    return Array.isArray(v) ? v[v.length - 1] : v;
  };
  const list = (key: string) => {
    const v = one(key);
    return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  };
  const names = [query.sobject ?? []].flat();
  return {
    q: one('q'),
    in: one('in'),
    fields: list('fields'),
    overallLimit: one('overallLimit') as unknown as number,
    defaultLimit: one('defaultLimit') as unknown as number,
    sobjects: names.map((name) => ({ name, fields: list(`${name}.fields`), where: one(`${name}.where`), limit: one(`${name}.limit`) as unknown as number })),
  };
}

export function registerSearchRoutes(app: FastifyInstance, ctx: Ctx): void {
  const prefix = '/services/data/:version';

  for (const path of [`${prefix}/search`, `${prefix}/search/`]) {
    app.get(path, async (request, reply) =>
      read(reply, () => {
        const base = dataBase(ctx, request);
        const q = (request.query as { q?: string }).q;
        if (!q) throw malformedSearch('A search string has to be specified');
        const sosl = parseSosl(q);
        return answer(request, execute(ctx.store.data, base, sosl.search, sosl.group, sosl.returning ?? idOnly(), sosl.limit));
      }),
    );
  }

  for (const path of [`${prefix}/parameterizedSearch`, `${prefix}/parameterizedSearch/`]) {
    app.get(path, async (request, reply) =>
      read(reply, () => answer(request, parameterized(ctx.store.data, dataBase(ctx, request), paramsFromQuery(request.query as Record<string, string | string[]>)))),
    );
    app.post(path, async (request, reply) =>
      read(reply, () => {
        const body = (request.body ?? {}) as SearchParams;
        if (body.sobjects !== undefined && !Array.isArray(body.sobjects)) throw new SfError(400, 'JSON_PARSER_ERROR', 'sobjects must be an array');
        return answer(request, parameterized(ctx.store.data, dataBase(ctx, request), body));
      }),
    );
  }

  app.get(`${prefix}/search/scopeOrder`, async (request, reply) =>
    read(reply, () => {
      const base = dataBase(ctx, request);
      return { status: 200, body: scope().map((o) => ({ type: o.name, url: `${base}/sobjects/${o.name}/describe` })) };
    }),
  );

  for (const path of [`${prefix}/search/layout`, `${prefix}/search/layout/`]) {
    app.get(path, async (request, reply) =>
      read(reply, () => {
        apiVersion(request);
        const names = String((request.query as { q?: string }).q ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        if (!names.length) throw new SfError(400, 'MISSING_ARGUMENT', 'q: a comma-separated list of objects is required');
        const eng = engine(ctx.store.data);
        const layouts = names.map((n) => {
          const object = eng.resolveObject(n);
          const columns = nameFields(object).map((f) => ({ field: `${object.name}.${f.name}`, format: null, label: f.name, name: f.name }));
          return { errorMsg: null, label: 'Search Results', limitRows: 25, objectType: object.name, searchColumns: columns };
        });
        return { status: 200, body: layouts };
      }),
    );
  }
}
