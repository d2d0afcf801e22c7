import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseCsv, toCsv } from './csv';
import { SfError } from './errors';
import { sessionUser } from './auth';
import { INTEGRATION_USER_ID } from './ids';
import { Org, type Effect } from './records';
import { commit, read, write, type Ctx } from './respond';
import { findField, findObject, findRelationship, type ObjectDef } from './schema';
import { nextId, sfDateTime, type IngestJob, type SalesforceState } from './state';
import { apiVersion } from './data-routes';

/**
 * Bulk API 2.0 ingest: open a job, PUT one CSV, mark UploadComplete, poll the job while it moves
 * UploadComplete → InProgress → JobComplete, then read successful/failed/unprocessed records.
 * Rows are applied when processing "finishes", so results are only there once the job is done.
 */
const OPERATIONS = ['insert', 'update', 'upsert', 'delete'] as const;
type P = { version: string; id: string };
const DELETABLE: IngestJob['state'][] = ['UploadComplete', 'JobComplete', 'Aborted', 'Failed'];

/** The fields every Bulk API 2.0 job info starts with, ingest and query alike. */
export function jobHeader(job: Pick<IngestJob, 'id' | 'object' | 'createdById' | 'createdDate' | 'systemModstamp'> & { operation: string; state: string }): Record<string, unknown> {
  return { id: job.id, operation: job.operation, object: job.object, createdById: job.createdById ?? INTEGRATION_USER_ID, createdDate: job.createdDate, systemModstamp: job.systemModstamp, state: job.state };
}

function jobInfo(job: IngestJob): Record<string, unknown> {
  const processed = job.successful.length + job.failed.length;
  return {
    ...jobHeader(job),
    ...(job.externalIdFieldName ? { externalIdFieldName: job.externalIdFieldName } : {}),
    concurrencyMode: 'Parallel',
    contentType: 'CSV',
    apiVersion: job.apiVersion,
    jobType: 'V2Ingest',
    contentUrl: `services/data/v${job.apiVersion.toFixed(1)}/jobs/ingest/${job.id}/batches`,
    lineEnding: job.lineEnding,
    columnDelimiter: job.columnDelimiter,
    numberRecordsProcessed: processed,
    numberRecordsFailed: job.failed.length,
    retries: 0,
    totalProcessingTime: job.completeAt && job.startAt ? job.completeAt - job.startAt : 0,
    apiActiveProcessingTime: 0,
    apexProcessingTime: 0,
    ...(job.state === 'Failed' ? { errorMessage: job.errorMessage } : {}),
  };
}

/** Moves a closed job along its states as time passes; applies its rows when it completes. */
function advance(ctx: Ctx, job: IngestJob): void {
  if (job.state !== 'UploadComplete' && job.state !== 'InProgress') return;
  const now = Date.now();
  if (job.completeAt !== undefined && now >= job.completeAt) process(ctx, job);
  else if (job.startAt !== undefined && now >= job.startAt) job.state = 'InProgress';
  job.systemModstamp = sfDateTime();
  ctx.store.changed();
}

/** The first header column the object does not have ("Account.Name" columns name a relationship), if any. */
export function unknownColumn(object: ObjectDef, header: string[]): string | undefined {
  return header.find((col) => {
    if (col.includes('.')) return !findRelationship(object, col.split('.')[0]);
    return !findField(object, col);
  });
}

/** A failed row's error as Bulk results write it: "CODE:message:fields --". */
export const rowError = (err: SfError): string => `${err.errorCode}:${err.message}:${err.fields.join(',')} --`;

export type IngestOperation = IngestJob['operation'] | 'hardDelete';

/**
 * One ingest row through the org, with the REST API's checks (throws SfError when the row fails).
 * `csv`: an empty cell leaves a field alone and #N/A clears it, as in CSV data; XML and JSON rows carry real nulls.
 * A hard delete skips the recycle bin.
 */
export function applyRow(org: Org, state: SalesforceState, object: ObjectDef, operation: IngestOperation, externalIdFieldName: string | undefined, input: Record<string, unknown>, effects: Effect[], csv = true): { id: string; created: boolean } {
  const record = { ...input };
  const idColumn = Object.keys(record).find((k) => k.toLowerCase() === 'id');
  if (operation === 'insert') return { id: org.create(object, record, effects, csv), created: true };
  if (operation === 'upsert') {
    const ext = externalIdFieldName!;
    const column = Object.keys(record).find((k) => k.toLowerCase() === ext.toLowerCase());
    const value = column && record[column] !== null && record[column] !== undefined ? String(record[column]) : '';
    if (!value) throw new SfError(400, 'MISSING_ARGUMENT', `${ext} not specified`, [ext]);
    return org.upsert(object, ext, value, record, effects, csv);
  }
  const id = idColumn && record[idColumn] !== null && record[idColumn] !== undefined ? String(record[idColumn]) : '';
  if (!id) throw new SfError(400, 'MISSING_ARGUMENT', 'Id not specified in an update call', ['Id']);
  if (idColumn) delete record[idColumn];
  if (operation === 'update') return { id: org.update(object, id, record, effects, csv), created: false };
  const removed = org.remove(object, id, effects);
  if (operation === 'hardDelete') delete state.recycleBin?.[object.name]?.[removed];
  return { id: removed, created: false };
}

function process(ctx: Ctx, job: IngestJob): void {
  const object = findObject(job.object)!;
  const rows = parseCsv(job.csv);
  const [header = [], ...data] = rows;
  job.columns = header;
  const unknown = unknownColumn(object, header);
  if (unknown) {
    job.state = 'Failed';
    job.errorMessage = `InvalidBatch : Field name not found : ${unknown}`;
    job.unprocessed = data;
    return;
  }
  // The job's rows are written as the user who opened it (owner of what it creates).
  const org = new Org(ctx.store.data, job.createdById);
  const effects: Effect[] = [];
  for (const row of data) {
    const record: Record<string, unknown> = Object.fromEntries(header.map((col, i) => [col, row[i] ?? '']));
    const rowEffects: Effect[] = [];
    try {
      const result = applyRow(org, ctx.store.data, object, job.operation, job.externalIdFieldName, record, rowEffects);
      job.successful.push({ ...result, row });
      effects.push(...rowEffects.map((e) => ({ ...e, data: { ...e.data, bulkJobId: job.id } })));
    } catch (err) {
      if (!(err instanceof SfError)) throw err;
      job.failed.push({ id: '', error: rowError(err), row });
    }
  }
  job.state = 'JobComplete';
  commit(ctx, effects);
}

function getJob(ctx: Ctx, request: FastifyRequest): IngestJob {
  apiVersion(request);
  const job = ctx.store.data.jobs[(request.params as P).id];
  if (!job) throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
  advance(ctx, job);
  return job;
}

function finished(job: IngestJob): void {
  if (!['JobComplete', 'Failed', 'Aborted'].includes(job.state)) throw new SfError(400, 'INVALIDJOBSTATE', `Job ${job.id} is not complete; its state is ${job.state}`);
}

export function registerBulkRoutes(app: FastifyInstance, ctx: Ctx): void {
  const prefix = '/services/data/:version/jobs/ingest';

  app.post(prefix, async (request, reply) =>
    write(ctx, request, reply, () => {
      const version = Number(apiVersion(request));
      const body = (request.body ?? {}) as { object?: string; operation?: string; externalIdFieldName?: string; lineEnding?: string; columnDelimiter?: string; contentType?: string };
      const object = body.object ? findObject(body.object) : undefined;
      if (!object) throw new SfError(400, 'INVALIDJOB', `InvalidJob : Object ${body.object ?? '(none)'} is not supported by the Bulk API`);
      if (!OPERATIONS.includes(body.operation as (typeof OPERATIONS)[number])) throw new SfError(400, 'INVALIDJOB', `InvalidJob : Invalid operation ${body.operation ?? '(none)'}`);
      if (body.columnDelimiter && body.columnDelimiter !== 'COMMA') throw new SfError(400, 'INVALIDJOB', 'InvalidJob : only COMMA column delimiters are supported here');
      if (body.operation === 'upsert') {
        const ext = body.externalIdFieldName ? findField(object, body.externalIdFieldName) : undefined;
        if (!ext || (!ext.externalId && ext.name !== 'Id')) throw new SfError(400, 'INVALIDJOB', `InvalidJob : External ID was blank or not an external ID field for ${object.name}: ${body.externalIdFieldName ?? ''}`);
      }
      const state = ctx.store.data;
      const now = sfDateTime();
      const job: IngestJob = {
        id: nextId(state, '750'),
        object: object.name,
        operation: body.operation as IngestJob['operation'],
        externalIdFieldName: body.operation === 'upsert' ? findField(object, body.externalIdFieldName!)!.name : undefined,
        state: 'Open',
        createdById: sessionUser(ctx, request),
        createdDate: now,
        systemModstamp: now,
        apiVersion: version,
        lineEnding: body.lineEnding === 'CRLF' ? 'CRLF' : 'LF',
        columnDelimiter: 'COMMA',
        csv: '',
        processed: false,
        columns: [],
        successful: [],
        failed: [],
        unprocessed: [],
      };
      state.jobs[job.id] = job;
      return { status: 200, body: jobInfo(job) };
    }),
  );

  app.get(prefix, async (request, reply) =>
    read(reply, () => {
      apiVersion(request);
      return { status: 200, body: { done: true, records: Object.values(ctx.store.data.jobs).map(jobInfo), nextRecordsUrl: null } };
    }),
  );

  app.put(`${prefix}/:id/batches`, async (request, reply) =>
    write(ctx, request, reply, () => {
      const job = getJob(ctx, request);
      if (job.state !== 'Open') throw new SfError(409, 'INVALIDJOBSTATE', `Job ${job.id} is not open for uploads; its state is ${job.state}`);
      if (job.csv) throw new SfError(409, 'INVALIDJOBSTATE', 'Data can only be uploaded to a job once');
      const body = typeof request.body === 'string' ? request.body : Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
      if (!body.trim()) throw new SfError(400, 'INVALIDBATCH', 'InvalidBatch : no CSV data uploaded');
      job.csv = body;
      return { status: 201, body: '' };
    }),
  );

  app.patch(`${prefix}/:id`, async (request, reply) =>
    write(ctx, request, reply, () => {
      const job = getJob(ctx, request);
      const target = ((request.body ?? {}) as { state?: string }).state;
      if (target === 'UploadComplete') {
        if (job.state !== 'Open') throw new SfError(409, 'INVALIDJOBSTATE', `Job ${job.id} is ${job.state}`);
        if (!job.csv) throw new SfError(400, 'INVALIDJOBSTATE', 'No data was uploaded to this job');
        const rows = Math.max(0, parseCsv(job.csv).length - 1);
        job.state = 'UploadComplete';
        job.startAt = Date.now() + 100;
        job.completeAt = job.startAt + Math.min(2000, 200 + rows);
      } else if (target === 'Aborted') {
        if (!['Open', 'UploadComplete', 'InProgress'].includes(job.state)) throw new SfError(409, 'INVALIDJOBSTATE', `Job ${job.id} is ${job.state}`);
        job.state = 'Aborted';
        job.unprocessed = parseCsv(job.csv).slice(1);
        job.columns = parseCsv(job.csv)[0] ?? [];
      } else {
        throw new SfError(400, 'INVALIDJOBSTATE', `Invalid state change to ${target ?? '(none)'}`);
      }
      job.systemModstamp = sfDateTime();
      return { status: 200, body: jobInfo(job) };
    }),
  );

  app.get(`${prefix}/:id`, async (request, reply) => read(reply, () => ({ status: 200, body: jobInfo(getJob(ctx, request)) })));

  app.delete(`${prefix}/:id`, async (request, reply) =>
    write(ctx, request, reply, () => {
      const job = getJob(ctx, request);
      // Salesforce deletes a job only once its data is closed: never while Open or InProgress.
      if (!DELETABLE.includes(job.state)) throw new SfError(400, 'INVALIDJOBSTATE', `Job ${job.id} cannot be deleted in state ${job.state}`);
      delete ctx.store.data.jobs[job.id];
      return { status: 204, body: '' };
    }),
  );

  const csvReply = (body: string) => ({ status: 200, body });
  app.get(`${prefix}/:id/successfulResults`, async (request, reply) =>
    read(reply.header('content-type', 'text/csv'), () => {
      const job = getJob(ctx, request);
      finished(job);
      return csvReply(toCsv(['sf__Id', 'sf__Created', ...job.columns], job.successful.map((s) => [s.id, String(s.created), ...s.row])));
    }),
  );
  app.get(`${prefix}/:id/failedResults`, async (request, reply) =>
    read(reply.header('content-type', 'text/csv'), () => {
      const job = getJob(ctx, request);
      finished(job);
      return csvReply(toCsv(['sf__Id', 'sf__Error', ...job.columns], job.failed.map((f) => [f.id, f.error, ...f.row])));
    }),
  );
  app.get(`${prefix}/:id/unprocessedrecords`, async (request, reply) =>
    read(reply.header('content-type', 'text/csv'), () => {
      const job = getJob(ctx, request);
      finished(job);
      return csvReply(toCsv(job.columns, job.unprocessed));
    }),
  );
}
