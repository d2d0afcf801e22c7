import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sessionUser } from './auth';
import { SfError } from './errors';
import { INTEGRATION_USER_ID, ORG_ID, makeId } from './ids';
import { Org, type Effect } from './records';
import { read, snapshot, write, type Ctx } from './respond';
import { describe, findObject, objectByPrefix, objectNames, type ObjectDef } from './schema';
import { SoqlEngine, parseSoql } from './soql';
import { aggregateQuery } from './soql-aggregate';
import { queryTable, sfDateTime, type SalesforceState, type SfRecord } from './state';

type P = { version: string; type: string; id: string; field: string; value: string; locator: string };
const MAX_COLLECTION = 200;
const DEFAULT_BATCH = 2000;

export const apiVersion = (request: FastifyRequest): string => {
  const version = (request.params as Partial<P>).version ?? '';
  if (!/^v\d+\.\d$/.test(version)) throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
  return version.slice(1);
};

export const dataBase = (_ctx: Ctx, request: FastifyRequest): string => `/services/data/v${apiVersion(request)}`;

function objectOf(type: string): ObjectDef {
  const def = findObject(type);
  if (!def) throw new SfError(404, 'NOT_FOUND', `The requested resource does not exist`);
  return def;
}

/**
 * A query engine over the org's rows; `withDeleted` (queryAll) sees the recycle bin too, each table merged once per engine.
 * `userId` is who runs the query (USING SCOPE Mine); without it, the integration user.
 */
export const engine = (state: SalesforceState, withDeleted = false, userId?: string): SoqlEngine => {
  const tables = new Map<string, Record<string, SfRecord>>();
  return new SoqlEngine({ table: (o) => tables.get(o.name) ?? tables.set(o.name, queryTable(state, o.name, withDeleted)).get(o.name)!, userId });
};

/** A whole record (or the requested fields) as the sObject Rows resource returns it. */
function shapeRecord(state: SalesforceState, object: ObjectDef, record: SfRecord, base: string, fields?: string): Record<string, unknown> {
  const select = fields ? fields.split(',').map((f) => f.trim()).filter(Boolean) : object.fields.map((f) => f.name);
  return engine(state).shape(object, record, select, base);
}

/** Salesforce keeps at most this many query cursors open per user; opening another releases the oldest. */
export const MAX_OPEN_CURSORS = 10;
const CURSOR_TTL_MS = 15 * 60_000;

/** Cursor ids carry the query-locator prefix 01g; the suffix after '-' is the next offset. */
function storeCursor(state: SalesforceState, cursor: SalesforceState['cursors'][string]): string {
  const now = Date.now();
  const live = Object.entries(state.cursors).filter(([, c]) => now - c.createdAt < CURSOR_TTL_MS);
  const mine = live.filter(([, c]) => c.userId === cursor.userId);
  const released = new Set(mine.slice(0, Math.max(0, mine.length - (MAX_OPEN_CURSORS - 1))).map(([id]) => id));
  state.cursors = Object.fromEntries(live.filter(([id]) => !released.has(id)));
  state.counters['01g'] = (state.counters['01g'] ?? 0) + 1;
  const id = makeId('01g', state.counters['01g']);
  state.cursors[id] = cursor;
  return id;
}

/** `repeatLocator` (the repeat-cursor fault) answers the page with the locator it was asked with, as a paging bug would. */
function page(ctx: Ctx, request: FastifyRequest, cursorId: string, offset: number, repeatLocator = false): Record<string, unknown> {
  const state = ctx.store.data;
  const cursor = state.cursors[cursorId];
  // A released, finished or another user's cursor is gone, as far as this caller can tell.
  if (!cursor || cursor.userId !== sessionUser(ctx, request)) throw new SfError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
  const object = objectOf(cursor.object);
  const base = dataBase(ctx, request);
  const slice = cursor.ids.slice(offset, offset + cursor.batchSize);
  const table = queryTable(state, object.name, cursor.withDeleted === true);
  const eng = engine(state, cursor.withDeleted === true);
  const records = slice.filter((id) => table[id]).map((id) => eng.shape(object, table[id], cursor.select, base));
  const nextOffset = repeatLocator ? offset : offset + slice.length;
  const done = !repeatLocator && nextOffset >= cursor.ids.length;
  if (done) delete state.cursors[cursorId];
  return { totalSize: cursor.ids.length, done, ...(done ? {} : { nextRecordsUrl: `${base}/query/${cursorId}-${nextOffset}` }), records };
}

function batchSize(request: FastifyRequest): number {
  const header = String(request.headers['sforce-query-options'] ?? '');
  const match = /batchSize\s*=\s*(\d+)/i.exec(header);
  if (!match) return DEFAULT_BATCH;
  return Math.min(2000, Math.max(200, Number(match[1])));
}

interface CollectionRecord extends Record<string, unknown> {
  attributes?: { type?: string };
}
interface CollectionBody {
  allOrNone?: boolean;
  records?: CollectionRecord[];
}

type ItemResult = { id?: string; success: boolean; errors: { statusCode: string; message: string; fields: string[] }[]; created?: boolean };

/** sObject Collections: per-record results, or all rolled back when allOrNone and one fails. */
function collection(ctx: Ctx, effects: Effect[], body: CollectionBody, apply: (record: CollectionRecord, itemEffects: Effect[]) => Omit<ItemResult, 'success' | 'errors'>): ItemResult[] {
  const records = body.records;
  if (!Array.isArray(records)) throw new SfError(400, 'JSON_PARSER_ERROR', 'records is required');
  if (records.length > MAX_COLLECTION) throw new SfError(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_COLLECTION} records into this call`);
  const restore = body.allOrNone ? snapshot(ctx.store.data) : undefined;
  const pending: Effect[][] = [];
  const results: ItemResult[] = records.map((record) => {
    const itemEffects: Effect[] = [];
    try {
      const result = apply(record, itemEffects);
      pending.push(itemEffects);
      return { ...result, success: true, errors: [] };
    } catch (err) {
      if (!(err instanceof SfError)) throw err;
      return { success: false, errors: [{ statusCode: err.errorCode, message: err.message, fields: err.fields }] };
    }
  });
  if (restore && results.some((r) => !r.success)) {
    restore();
    return results.map((r) =>
      r.success ? { id: undefined, success: false, errors: [{ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK', message: 'Record rolled back because not all records were valid and the request was using AllOrNone header', fields: [] }] } : r,
    );
  }
  for (const e of pending) effects.push(...e);
  return results;
}

function typeOf(record: CollectionRecord): ObjectDef {
  const def = findObject(record.attributes?.type ?? '');
  if (!def) throw new SfError(400, 'INVALID_TYPE', `sObject type '${record.attributes?.type ?? ''}' is not supported.`);
  return def;
}

/** Salesforce refuses the whole request when a record does not say its type. */
function requireTypes(body: CollectionBody): CollectionBody {
  if (Array.isArray(body?.records) && body.records.some((r) => typeof r?.attributes?.type !== 'string' || !r.attributes.type)) {
    throw new SfError(400, 'INVALID_TYPE', 'Must send a concrete entity type.');
  }
  return body;
}

export function registerDataRoutes(app: FastifyInstance, ctx: Ctx): void {
  const state = () => ctx.store.data;
  const prefix = '/services/data/:version';

  app.get('/services/data', async (_request, reply) =>
    reply.send(['58.0', '59.0', '60.0', '61.0', '62.0'].map((v) => ({ version: v, label: `v${v}`, url: `/services/data/v${v}` }))),
  );

  // The version's resource directory, listing only the resources this org answers.
  app.get(prefix, async (request, reply) =>
    read(reply, () => {
      const base = dataBase(ctx, request);
      const names = ['sobjects', 'query', 'queryAll', 'search', 'parameterizedSearch', 'composite', 'limits'];
      // jsforce's identity() reads the session user's identity URL from here when it has only a token.
      const identity = `${ctx.url()}/id/${ORG_ID}/${sessionUser(ctx, request) ?? INTEGRATION_USER_ID}`;
      return { status: 200, body: { ...Object.fromEntries(names.map((n) => [n, `${base}/${n}`])), identity } };
    }),
  );

  app.get(`${prefix}/limits`, async (request, reply) =>
    read(reply, () => {
      apiVersion(request);
      const { used, max } = state().apiUsage;
      return { status: 200, body: { DailyApiRequests: { Max: max, Remaining: Math.max(0, max - used) } } };
    }),
  );

  /** An object as describeGlobal lists it, and as its basic information describes it. */
  const summary = (d: ObjectDef, base: string) => ({ name: d.name, label: d.label, keyPrefix: d.keyPrefix, custom: d.name.endsWith('__c'), queryable: true, urls: { sobject: `${base}/sobjects/${d.name}`, describe: `${base}/sobjects/${d.name}/describe` } });

  app.get(`${prefix}/sobjects`, async (request, reply) =>
    read(reply, () => {
      const base = dataBase(ctx, request);
      return { status: 200, body: { encoding: 'UTF-8', maxBatchSize: 200, sobjects: objectNames().map((n) => summary(findObject(n)!, base)) } };
    }),
  );

  // Basic information (jsforce's sobject().recent()): recent items are those the user viewed or referenced
  // (SOQL FOR VIEW / FOR REFERENCE in Salesforce's UI and APIs); the sandbox records none, so the list is empty.
  app.get(`${prefix}/sobjects/:type`, async (request, reply) =>
    read(reply, () => ({ status: 200, body: { objectDescribe: summary(objectOf((request.params as P).type), dataBase(ctx, request)), recentItems: [] } })),
  );

  app.get(`${prefix}/sobjects/:type/describe`, async (request, reply) =>
    read(reply, () => ({ status: 200, body: describe(objectOf((request.params as P).type), dataBase(ctx, request)) })),
  );

  // Replication (getUpdated / getDeleted): the ids changed or deleted in a window of the last 30 days, seconds ignored.
  const replicationWindow = (request: FastifyRequest) => {
    apiVersion(request);
    const query = request.query as { start?: string; end?: string };
    const at = (name: 'start' | 'end') => {
      const raw = query[name];
      if (!raw) throw new SfError(400, 'MISSING_ARGUMENT', `${name} not specified`);
      const ms = Date.parse(raw.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
      if (Number.isNaN(ms)) throw new SfError(400, 'INVALID_DATE_FORMAT', `${name}: invalid date format: ${raw}`);
      return Math.floor(ms / 60_000) * 60_000;
    };
    const start = at('start');
    const end = at('end');
    const now = Date.now();
    if (start < now - 30 * 24 * 3600_000) throw new SfError(400, 'INVALID_REPLICATION_DATE', 'startDate cannot be more than 30 days ago');
    if (end <= start) throw new SfError(400, 'INVALID_REPLICATION_DATE', 'EndDate must chronologically follow the StartDate');
    // Nothing after this moment is known yet: a window reaching into the future is covered up to now.
    const covered = Math.min(end, now);
    const inWindow = (stamp: unknown) => {
      const at = typeof stamp === 'string' ? Date.parse(stamp.replace('+0000', 'Z')) : NaN;
      return at >= start && at < covered;
    };
    return { start, covered, inWindow };
  };
  for (const path of [`${prefix}/sobjects/:type/updated`, `${prefix}/sobjects/:type/updated/`]) {
    app.get(path, async (request, reply) =>
      read(reply, () => {
        const object = objectOf((request.params as P).type);
        const { covered, inWindow } = replicationWindow(request);
        const ids = Object.values(state().records[object.name] ?? {})
          .filter((r) => inWindow(r.SystemModstamp))
          .map((r) => String(r.Id));
        return { status: 200, body: { ids, latestDateCovered: sfDateTime(new Date(covered)) } };
      }),
    );
  }
  for (const path of [`${prefix}/sobjects/:type/deleted`, `${prefix}/sobjects/:type/deleted/`]) {
    app.get(path, async (request, reply) =>
      read(reply, () => {
        const object = objectOf((request.params as P).type);
        const { covered, inWindow } = replicationWindow(request);
        const deletions = Object.values(state().recycleBin?.[object.name] ?? {}).map((r) => [String(r.Id), String(r.SystemModstamp)] as const);
        const deletedRecords = deletions.filter(([, at]) => inWindow(at)).map(([id, deletedDate]) => ({ id, deletedDate }));
        const earliest = deletions.map(([, at]) => at).sort()[0];
        return { status: 200, body: { deletedRecords, earliestDateAvailable: earliest ?? sfDateTime(new Date(Date.now() - 30 * 24 * 3600_000)), latestDateCovered: sfDateTime(new Date(covered)) } };
      }),
    );
  }

  app.get(`${prefix}/sobjects/:type/:id`, async (request, reply) =>
    read(reply, () => {
      const { type, id } = request.params as P;
      const object = objectOf(type);
      const record = new Org(state()).get(object, id);
      return { status: 200, body: shapeRecord(state(), object, record, dataBase(ctx, request), (request.query as { fields?: string }).fields) };
    }),
  );

  app.get(`${prefix}/sobjects/:type/:field/:value`, async (request, reply) =>
    read(reply, () => {
      const { type, field, value } = request.params as P;
      const object = objectOf(type);
      const org = new Org(state());
      const ext = org.externalIdField(object, field);
      const matches = ext.name === 'Id' ? [org.get(object, value)] : org.findBy(object, ext, value);
      if (matches.length === 0) throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
      const base = dataBase(ctx, request);
      if (matches.length > 1) return { status: 300, body: matches.map((m) => `${base}/sobjects/${object.name}/${String(m.Id)}`) };
      return { status: 200, body: shapeRecord(state(), object, matches[0], base, (request.query as { fields?: string }).fields) };
    }),
  );

  app.post(`${prefix}/sobjects/:type`, async (request, reply) =>
    write(ctx, request, reply, (org, effects) => {
      apiVersion(request);
      const object = objectOf((request.params as P).type);
      const id = org.create(object, (request.body ?? {}) as Record<string, unknown>, effects);
      return { status: 201, body: { id, success: true, errors: [] } };
    }),
  );

  app.patch(`${prefix}/sobjects/:type/:id`, async (request, reply) =>
    write(ctx, request, reply, (org, effects) => {
      apiVersion(request);
      const { type, id } = request.params as P;
      org.update(objectOf(type), id, (request.body ?? {}) as Record<string, unknown>, effects);
      return { status: 204, body: '' };
    }),
  );

  app.patch(`${prefix}/sobjects/:type/:field/:value`, async (request, reply) =>
    write(ctx, request, reply, (org, effects) => {
      apiVersion(request);
      const { type, field, value } = request.params as P;
      const result = org.upsert(objectOf(type), field, value, (request.body ?? {}) as Record<string, unknown>, effects);
      return { status: result.created ? 201 : 200, body: { id: result.id, success: true, errors: [], created: result.created } };
    }),
  );

  app.delete(`${prefix}/sobjects/:type/:id`, async (request, reply) =>
    write(ctx, request, reply, (org, effects) => {
      apiVersion(request);
      const { type, id } = request.params as P;
      org.remove(objectOf(type), id, effects);
      return { status: 204, body: '' };
    }),
  );

  /**
   * The query plan tool (`?explain=`): the query is parsed and checked as if run. There are no indexes here, so
   * every plan is a table scan; its cardinality is the rows the query would return.
   */
  const explain = (soql: string) => {
    if (!soql) throw new SfError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
    const parsed = parseSoql(soql);
    const result = engine(state()).run(parsed);
    const rows = Object.keys(queryTable(state(), result.object.name, false)).length;
    const plan = { cardinality: result.count, fields: [], leadingOperationType: 'TableScan', notes: [], relativeCost: rows ? Math.round((100 * result.count) / rows) / 100 : 0, sobjectCardinality: rows, sobjectType: result.object.name };
    return { status: 200, body: { plans: [plan], sourceQuery: soql } };
  };

  const runQuery = async (request: FastifyRequest, reply: Parameters<typeof read>[0], withDeleted: boolean) =>
    read(reply, () => {
      const explained = (request.query as { explain?: string }).explain;
      if (explained !== undefined) return explain(explained);
      const base = dataBase(ctx, request);
      const q = (request.query as { q?: string }).q;
      if (!q) throw new SfError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
      const eng = engine(state(), withDeleted, sessionUser(ctx, request));
      const parsed = parseSoql(q);
      // Aggregate results come whole, without a locator (at most 2,000 rows).
      if (parsed.aggregate) {
        const records = aggregateQuery(eng, parsed);
        return { status: 200, body: { totalSize: records.length, done: true, records } };
      }
      const result = eng.run(parsed);
      if (parsed.count) return { status: 200, body: { totalSize: result.count, done: true, records: [] } };
      const size = batchSize(request);
      if (result.ids.length <= size) {
        const table = queryTable(state(), result.object.name, withDeleted);
        return { status: 200, body: { totalSize: result.ids.length, done: true, records: result.ids.map((id) => eng.shape(result.object, table[id], result.select, base)) } };
      }
      const cursorId = storeCursor(state(), { object: result.object.name, withDeleted, select: result.select, ids: result.ids, batchSize: size, createdAt: Date.now(), userId: sessionUser(ctx, request) ?? INTEGRATION_USER_ID });
      ctx.store.changed();
      return { status: 200, body: page(ctx, request, cursorId, 0) };
    });
  app.get(`${prefix}/query`, async (request, reply) => runQuery(request, reply, false));
  app.get(`${prefix}/queryAll`, async (request, reply) => runQuery(request, reply, true));

  app.get(`${prefix}/query/:locator`, async (request, reply) =>
    read(reply, () => {
      const explained = (request.query as { explain?: string }).explain;
      if ((request.params as P).locator === '' && explained !== undefined) return explain(explained);
      const match = /^([a-zA-Z0-9]{18})-(\d+)$/.exec((request.params as P).locator);
      if (!match) throw new SfError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
      const body = page(ctx, request, match[1], Number(match[2]), ctx.faults.repeatsCursor('GET', request.url.split('?')[0]));
      ctx.store.changed();
      return { status: 200, body };
    }),
  );

  // sObject Collections
  app.post(`${prefix}/composite/sobjects`, async (request, reply) =>
    write(ctx, request, reply, (org, effects) => {
      apiVersion(request);
      const results = collection(ctx, effects, requireTypes(request.body as CollectionBody), (record, e) => ({ id: org.create(typeOf(record), record, e) }));
      return { status: 200, body: results };
    }),
  );

  app.patch(`${prefix}/composite/sobjects`, async (request, reply) =>
    write(ctx, request, reply, (org, effects) => {
      apiVersion(request);
      const results = collection(ctx, effects, requireTypes(request.body as CollectionBody), (record, e) => {
        const { id, ...rest } = record;
        if (typeof id !== 'string') throw new SfError(400, 'MISSING_ARGUMENT', 'Id not specified in an update call', ['Id']);
        return { id: org.update(typeOf(record), id, rest, e) };
      });
      return { status: 200, body: results };
    }),
  );

  app.patch(`${prefix}/composite/sobjects/:type/:field`, async (request, reply) =>
    write(ctx, request, reply, (org, effects) => {
      apiVersion(request);
      const { type, field } = request.params as P;
      const object = objectOf(type);
      const ext = org.externalIdField(object, field);
      // Collections upsert by a real external id field only; Id is not one.
      if (ext.name === 'Id') throw new SfError(400, 'INVALID_FIELD', `Field name provided, Id is not an External ID or indexed field for ${object.name}`, ['Id']);
      const body = requireTypes(request.body as CollectionBody);
      const keyOf = (record: CollectionRecord) => Object.entries(record ?? {}).find(([k]) => k.toLowerCase() === ext.name.toLowerCase())?.[1];
      // One external id twice in one call is refused for each record that carries it: which write wins would be undefined.
      const seen = new Map<string, number>();
      for (const record of Array.isArray(body?.records) ? body.records : []) {
        const key = keyOf(record);
        if (key !== undefined && key !== null && key !== '') seen.set(String(key), (seen.get(String(key)) ?? 0) + 1);
      }
      const results = collection(ctx, effects, body, (record, e) => {
        const type = typeOf(record);
        if (type.name !== object.name) throw new SfError(400, 'INVALID_TYPE', `The sObject type ${type.name} does not match the URL's ${object.name}`);
        const value = keyOf(record);
        if (value === undefined || value === null || value === '') throw new SfError(400, 'MISSING_ARGUMENT', `${ext.name} not specified`, [ext.name]);
        if ((seen.get(String(value)) ?? 0) > 1) throw new SfError(400, 'DUPLICATE_EXTERNAL_ID', `Duplicate external id specified: ${String(value)}`, [ext.name]);
        const result = org.upsert(type, ext.name, String(value), record, e);
        return { id: result.id, created: result.created };
      });
      return { status: 200, body: results };
    }),
  );

  const retrieveMany = (request: FastifyRequest, ids: string[], fields: string[]) => {
    const object = objectOf((request.params as P).type);
    if (ids.length > 2000) throw new SfError(400, 'EXCEEDED_ID_LIMIT', 'too many ids');
    const org = new Org(state());
    const base = dataBase(ctx, request);
    return ids.map((id) => {
      try {
        return engine(state()).shape(object, org.get(object, id), fields, base);
      } catch (err) {
        if (err instanceof SfError && err.errorCode === 'NOT_FOUND') return null;
        throw err;
      }
    });
  };
  app.get(`${prefix}/composite/sobjects/:type`, async (request, reply) =>
    read(reply, () => {
      const q = request.query as { ids?: string; fields?: string };
      return { status: 200, body: retrieveMany(request, (q.ids ?? '').split(',').filter(Boolean), (q.fields ?? 'Id').split(',')) };
    }),
  );
  app.post(`${prefix}/composite/sobjects/:type`, async (request, reply) =>
    read(reply, () => {
      const body = (request.body ?? {}) as { ids?: string[]; fields?: string[] };
      return { status: 200, body: retrieveMany(request, body.ids ?? [], body.fields ?? ['Id']) };
    }),
  );

  app.delete(`${prefix}/composite/sobjects`, async (request, reply) =>
    write(ctx, request, reply, (org, effects) => {
      apiVersion(request);
      const q = request.query as { ids?: string; allOrNone?: string };
      const ids = (q.ids ?? '').split(',').filter(Boolean);
      const body: CollectionBody = { allOrNone: q.allOrNone === 'true', records: ids.map((id) => ({ id })) };
      const results = collection(ctx, effects, body, (record, e) => {
        const id = String(record.id);
        const object = objectByPrefix(id);
        if (!object) throw new SfError(400, 'MALFORMED_ID', `malformed id ${id}`);
        org.remove(object, id, e);
        return { id };
      });
      return { status: 200, body: results };
    }),
  );

}
