import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sessionUser } from './auth';
import { jobHeader } from './bulk';
import { toCsv } from './csv';
import { SfError } from './errors';
import { apiVersion, engine as queryEngine } from './data-routes';
import { read, type Ctx } from './respond';
import { isSubquery, parseSoql } from './soql';
import type { ObjectDef } from './schema';
import { nextId, queryTable, sfDateTime, type SalesforceState } from './state';

/**
 * Bulk API 2.0 query jobs, as jsforce's bulk2.query drives them: POST a SOQL job, poll it
 * UploadComplete → InProgress → JobComplete, then read CSV pages that chain by Sforce-Locator
 * ("null" after the last). The rows are taken when the job is created; jobs live in memory only.
 */
interface QueryJob {
  id: string;
  operation: 'query' | 'queryAll';
  object: string;
  state: 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Aborted' | 'Failed';
  createdById?: string;
  createdDate: string;
  systemModstamp: string;
  apiVersion: number;
  lineEnding: 'LF' | 'CRLF';
  header: string[];
  rows: string[][];
  startAt: number;
  completeAt: number;
}

type P = { version: string; id: string };
const DEFAULT_PAGE = 50_000;
const DELETABLE: QueryJob['state'][] = ['JobComplete', 'Aborted', 'Failed'];

function info(job: QueryJob): Record<string, unknown> {
  return {
    ...jobHeader(job),
    concurrencyMode: 'Parallel',
    contentType: 'CSV',
    apiVersion: job.apiVersion,
    jobType: 'V2Query',
    lineEnding: job.lineEnding,
    columnDelimiter: 'COMMA',
    ...(job.state === 'JobComplete' ? { numberRecordsProcessed: job.rows.length } : { numberRecordsProcessed: 0 }),
    retries: 0,
    totalProcessingTime: job.state === 'JobComplete' ? job.completeAt - job.startAt : 0,
  };
}

/** A shaped REST record → one CSV row in select order; parents are "Account.Name" columns, nulls empty. */
export function csvRow(shaped: Record<string, unknown>, select: string[]): string[] {
  return select.map((name) => {
    const value = name.split('.').reduce<unknown>((at, part) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined), shaped);
    return value === null || value === undefined ? '' : String(value);
  });
}

/**
 * A Bulk query's rows: the SOQL run against the org (queryAll: with the recycle bin), each record shaped as
 * the REST API returns it (`base` is the data URL its attributes point under). Aggregates are refused.
 */
export function bulkQuery(state: SalesforceState, soql: string, withDeleted: boolean, base: string): { object: ObjectDef; select: string[]; records: Record<string, unknown>[] } {
  const parsed = parseSoql(soql);
  if (parsed.count || parsed.aggregate) throw new SfError(400, 'INVALIDJOB', 'InvalidJob : Aggregate queries are not supported by the Bulk API');
  if (parsed.fields.some(isSubquery)) throw new SfError(400, 'INVALIDJOB', 'InvalidJob : Parent-to-child relationship queries are not supported by the Bulk API');
  const engine = queryEngine(state, withDeleted);
  const result = engine.run(parsed);
  const table = queryTable(state, result.object.name, withDeleted);
  return { object: result.object, select: result.select, records: result.ids.map((id) => engine.shape(result.object, table[id], result.select, base)) };
}

export function registerBulkQueryRoutes(app: FastifyInstance, ctx: Ctx): void {
  const jobs = new Map<string, QueryJob>();
  const prefix = '/services/data/:version/jobs/query';

  /** Moves a running job along its states as time passes. */
  const advance = (job: QueryJob): QueryJob => {
    const now = Date.now();
    if ((job.state === 'UploadComplete' || job.state === 'InProgress') && now >= job.completeAt) job.state = 'JobComplete';
    else if (job.state === 'UploadComplete' && now >= job.startAt) job.state = 'InProgress';
    return job;
  };
  const getJob = (request: FastifyRequest): QueryJob => {
    apiVersion(request);
    const job = jobs.get((request.params as P).id);
    if (!job) throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
    return advance(job);
  };

  app.post(prefix, async (request, reply) =>
    read(reply, () => {
      const version = Number(apiVersion(request));
      const body = (request.body ?? {}) as { operation?: string; query?: string; columnDelimiter?: string; lineEnding?: string };
      if (body.operation !== 'query' && body.operation !== 'queryAll') throw new SfError(400, 'INVALIDJOB', `InvalidJob : Invalid operation ${body.operation ?? '(none)'}`);
      if (!body.query) throw new SfError(400, 'INVALIDJOB', 'InvalidJob : query is required');
      if (body.columnDelimiter && body.columnDelimiter !== 'COMMA') throw new SfError(400, 'INVALIDJOB', 'InvalidJob : only COMMA column delimiters are supported here');
      const state = ctx.store.data;
      const result = bulkQuery(state, body.query, body.operation === 'queryAll', `/services/data/v${version.toFixed(1)}`);
      const rows = result.records.map((record) => csvRow(record, result.select));
      const now = Date.now();
      const job: QueryJob = {
        id: nextId(state, '750'),
        operation: body.operation,
        object: result.object.name,
        state: 'UploadComplete',
        createdById: sessionUser(ctx, request),
        createdDate: sfDateTime(),
        systemModstamp: sfDateTime(),
        apiVersion: version,
        lineEnding: body.lineEnding === 'CRLF' ? 'CRLF' : 'LF',
        header: result.select,
        rows,
        startAt: now + 50,
        completeAt: now + 150 + Math.min(1_000, rows.length / 10),
      };
      jobs.set(job.id, job);
      ctx.store.changed();
      return { status: 200, body: info(job) };
    }),
  );

  app.get(prefix, async (request, reply) =>
    read(reply, () => {
      apiVersion(request);
      return { status: 200, body: { done: true, records: [...jobs.values()].map((job) => info(advance(job))), nextRecordsUrl: null } };
    }),
  );

  app.get(`${prefix}/:id`, async (request, reply) => read(reply, () => ({ status: 200, body: info(getJob(request)) })));

  app.patch(`${prefix}/:id`, async (request, reply) =>
    read(reply, () => {
      const job = getJob(request);
      if (((request.body ?? {}) as { state?: string }).state !== 'Aborted') throw new SfError(400, 'INVALIDJOBSTATE', 'A query job can only be aborted');
      if (job.state !== 'UploadComplete' && job.state !== 'InProgress') throw new SfError(409, 'INVALIDJOBSTATE', `Job ${job.id} is ${job.state}`);
      job.state = 'Aborted';
      job.systemModstamp = sfDateTime();
      return { status: 200, body: info(job) };
    }),
  );

  app.delete(`${prefix}/:id`, async (request, reply) =>
    read(reply, () => {
      const job = getJob(request);
      if (!DELETABLE.includes(job.state)) throw new SfError(400, 'INVALIDJOBSTATE', `Job ${job.id} cannot be deleted in state ${job.state}`);
      jobs.delete(job.id);
      return { status: 204, body: '' };
    }),
  );

  app.get(`${prefix}/:id/results`, async (request, reply) => {
    try {
      const job = getJob(request);
      if (job.state !== 'JobComplete') throw new SfError(400, 'INVALIDJOBSTATE', `Job ${job.id} is not complete; its state is ${job.state}`);
      const q = request.query as { locator?: string; maxRecords?: string };
      const offset = q.locator ? Number.parseInt(Buffer.from(q.locator, 'base64url').toString('utf8'), 10) : 0;
      const size = q.maxRecords ? Number(q.maxRecords) : DEFAULT_PAGE;
      if (!Number.isInteger(offset) || offset < 0 || offset > job.rows.length) throw new SfError(400, 'INVALID_LOCATOR', 'invalid locator');
      if (!Number.isInteger(size) || size < 1) throw new SfError(400, 'INVALIDJOB', 'maxRecords must be a positive integer');
      const page = job.rows.slice(offset, offset + size);
      const next = offset + page.length;
      const csv = toCsv(job.header, page);
      return reply
        .code(200)
        .header('content-type', 'text/csv')
        .header('sforce-locator', next < job.rows.length ? Buffer.from(String(next)).toString('base64url') : 'null')
        .header('sforce-numberofrecords', String(page.length))
        .send(job.lineEnding === 'CRLF' ? csv.replace(/\n/g, '\r\n') : csv);
    } catch (err) {
      return read(reply, () => {
        throw err;
      });
    }
  });
}
