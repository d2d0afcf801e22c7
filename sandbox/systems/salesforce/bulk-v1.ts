import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tokenUser } from './auth';
import {
  MAX_BATCH_CHARS,
  OPERATIONS,
  advance,
  asyncDateTime,
  csvError,
  jobCounts,
  jobsOf,
  processedCount,
  processingTime,
  schedule,
  type ClassicBatch,
  type ClassicJob,
  type ClassicOperation,
  type ContentType,
} from './bulk-v1-jobs';
import { csvRow } from './bulk-query';
import { toCsv } from './csv';
import type { Ctx } from './respond';
import { findField, findObject } from './schema';
import { nextId } from './state';
import { XmlSyntaxError, escapeXml, parseXml } from './xml';

/**
 * The Bulk API 1.0 (`/services/async/{version}`), as jsforce's `bulk` drives it: XML (or JSON) job
 * infos, batches of CSV, XML or JSON processed asynchronously, per-row results in the batch's content
 * type, query batches whose results are fetched by result id, and the API's own error dialect
 * (`<error><exceptionCode/><exceptionMessage/></error>`, or JSON for JSON jobs). The session travels
 * in `X-SFDC-Session`; a missing or dead one is 400 InvalidSessionId, which jsforce takes as expiry.
 */
const NS = 'http://www.force.com/2009/06/asyncapi/dataload';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
type Dialect = 'XML' | 'JSON';
type P = { version: string; jobId?: string; batchId?: string; resultId?: string };
type Fields = Record<string, unknown>;

class AsyncError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MEDIA: Record<ContentType, string[]> = { CSV: ['text/csv'], XML: ['application/xml', 'text/xml'], JSON: ['application/json'] };
const mediaType = (request: FastifyRequest): string => (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
const bodyText = (request: FastifyRequest): string => (typeof request.body === 'string' ? request.body : Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '');
const capitalized = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);

const xmlValue = (value: unknown): string => escapeXml(String(value));
const xmlFields = (fields: Fields): string =>
  Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<${k}>${xmlValue(v)}</${k}>`)
    .join('');
const xmlDocument = (root: string, inner: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><${root} xmlns="${NS}"${inner.includes(' xsi:') ? ` xmlns:xsi="${XSI}"` : ''}>${inner}</${root}>`;

/** A body in the dialect: JSON as is, XML under `root` (the fields as elements, unless the inner XML is given). */
function send(reply: FastifyReply, dialect: Dialect, status: number, root: string, body: unknown, xmlInner?: string): FastifyReply {
  if (dialect === 'JSON') return reply.code(status).header('content-type', 'application/json').send(JSON.stringify(body));
  return reply
    .code(status)
    .header('content-type', 'application/xml')
    .send(xmlDocument(root, xmlInner ?? xmlFields(body as Fields)));
}

function sendError(reply: FastifyReply, dialect: Dialect, err: AsyncError): FastifyReply {
  return send(reply, dialect, err.status, 'error', { exceptionCode: err.code, exceptionMessage: err.message });
}

function jobInfo(job: ClassicJob): Fields {
  return {
    id: job.id,
    operation: job.operation,
    object: job.object,
    createdById: job.createdById,
    createdDate: job.createdDate,
    systemModstamp: job.systemModstamp,
    state: job.state,
    externalIdFieldName: job.externalIdFieldName,
    assignmentRuleId: job.assignmentRuleId,
    concurrencyMode: job.concurrencyMode,
    contentType: job.contentType,
    ...jobCounts(job),
  };
}

function batchInfo(batch: ClassicBatch): Fields {
  return {
    id: batch.id,
    jobId: batch.jobId,
    state: batch.state,
    stateMessage: batch.stateMessage,
    createdDate: batch.createdDate,
    systemModstamp: batch.systemModstamp,
    numberRecordsProcessed: processedCount(batch),
    numberRecordsFailed: batch.results.filter((r) => !r.success).length,
    totalProcessingTime: processingTime(batch),
    apiActiveProcessingTime: 0,
    apexProcessingTime: 0,
  };
}

/** A query row as XML: nulls are xsi:nil, parents nested sObjects. */
function xmlRecord(tag: string, record: Fields): string {
  const type = (record.attributes as { type: string }).type;
  const fields = Object.entries(record)
    .filter(([k]) => k !== 'attributes')
    .map(([k, v]) => (v === null ? `<${k} xsi:nil="true"/>` : typeof v === 'object' ? xmlRecord(k, v as Fields) : `<${k}>${xmlValue(v)}</${k}>`))
    .join('');
  return `<${tag} xsi:type="sObject"><type>${type}</type>${fields}</${tag}>`;
}

/** A job info body (create or state change): XML `<jobInfo>` or a JSON object of strings. */
function jobBody(request: FastifyRequest): Record<string, string> {
  const text = bodyText(request);
  const unparsable = new AsyncError(400, 'InvalidJob', 'Unable to parse Job');
  if (mediaType(request) === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw unparsable;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) throw unparsable;
    return parsed as Record<string, string>;
  }
  if (!MEDIA.XML.includes(mediaType(request))) throw unparsable;
  let root;
  try {
    root = parseXml(text);
  } catch (err) {
    if (!(err instanceof XmlSyntaxError)) throw err;
    throw new AsyncError(400, 'InvalidXML', `Failed to parse XML. Found invalid XML. ${err.message}`);
  }
  if (root.name !== 'jobInfo') throw unparsable;
  const fields: Record<string, string> = {};
  for (const child of root.children) {
    if (child.children.length || child.name in fields) throw unparsable;
    fields[child.name] = child.text.trim();
  }
  return fields;
}

const CREATE_FIELDS = ['operation', 'object', 'externalIdFieldName', 'concurrencyMode', 'contentType', 'assignmentRuleId', 'state'];

function newJob(ctx: Ctx, version: string, userId: string, body: Record<string, string>): ClassicJob {
  const extra = Object.keys(body).find((k) => !CREATE_FIELDS.includes(k));
  if (extra) throw new AsyncError(400, 'InvalidJob', `${capitalized(extra)} cannot be specified`);
  // Operation names are case-sensitive: "harddelete" does not parse.
  if (!OPERATIONS.includes(body.operation as ClassicOperation)) throw new AsyncError(400, 'InvalidJob', 'Unable to parse Job');
  if (body.state !== undefined && body.state !== 'Open') throw new AsyncError(400, 'InvalidJob', 'A new job can only be Open');
  if (!body.object) throw new AsyncError(400, 'InvalidJob', 'Object must be specified');
  const object = findObject(body.object);
  if (!object) throw new AsyncError(400, 'InvalidJob', `Unable to find object: ${body.object}`);
  const contentType = body.contentType ?? 'XML';
  if (!(contentType in MEDIA)) throw new AsyncError(400, 'InvalidJob', contentType.startsWith('ZIP_') ? `Content type ${contentType} (binary attachments) is not supported here` : 'Unable to parse Job');
  const concurrencyMode = body.concurrencyMode ?? 'Parallel';
  if (concurrencyMode !== 'Parallel' && concurrencyMode !== 'Serial') throw new AsyncError(400, 'InvalidJob', 'Unable to parse Job');
  let externalIdFieldName: string | undefined;
  if (body.operation === 'upsert') {
    if (!body.externalIdFieldName) throw new AsyncError(400, 'InvalidJob', `External ID was blank for ${object.name}. An External ID must be specified for upsert.`);
    const field = findField(object, body.externalIdFieldName);
    if (!field || (!field.externalId && field.name !== 'Id')) throw new AsyncError(400, 'InvalidJob', `Field name provided, ${body.externalIdFieldName} does not match an External ID, Salesforce Id, or indexed field for ${object.name}`);
    externalIdFieldName = field.name;
  }
  const now = asyncDateTime();
  return {
    id: nextId(ctx.store.data, '750'),
    operation: body.operation as ClassicOperation,
    object: object.name,
    createdById: userId,
    createdDate: now,
    systemModstamp: now,
    state: 'Open',
    externalIdFieldName,
    assignmentRuleId: body.assignmentRuleId,
    concurrencyMode,
    contentType: contentType as ContentType,
    apiVersion: version,
    batches: [],
  };
}

/** Checks the batch body against the job's content type before it is queued. */
function checkBatchBody(job: ClassicJob, request: FastifyRequest, text: string): void {
  const type = mediaType(request);
  if (!MEDIA[job.contentType].includes(type)) throw new AsyncError(400, 'InvalidBatch', `Unable to parse ${type || 'the request'}: the job's content type is ${job.contentType}, so batches must be sent as ${MEDIA[job.contentType][0]}`);
  if (text.length > MAX_BATCH_CHARS) throw new AsyncError(400, 'ClientInputError', `Exceeded max size limit of ${MAX_BATCH_CHARS}`);
  if (job.operation === 'query' || job.operation === 'queryAll') return;
  if (job.contentType === 'XML') {
    try {
      parseXml(text);
    } catch (err) {
      if (!(err instanceof XmlSyntaxError)) throw err;
      throw new AsyncError(400, 'InvalidXML', `Failed to parse XML. Found invalid XML. ${err.message}`);
    }
  } else if (job.contentType === 'JSON') {
    try {
      JSON.parse(text);
    } catch (err) {
      throw new AsyncError(400, 'InvalidBatch', `Failed to parse JSON. ${(err as Error).message}`);
    }
  }
}

export function registerBulkV1Routes(app: FastifyInstance, ctx: Ctx): void {
  const timers = new Set<NodeJS.Timeout>();
  app.addHook('onClose', async () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  });

  const jobFor = (request: FastifyRequest): ClassicJob | undefined => {
    const { jobId } = request.params as P;
    return jobId ? jobsOf(ctx.store.data)[jobId] : undefined;
  };
  // Errors come in JSON for JSON jobs and JSON requests, in XML otherwise.
  const dialectOf = (request: FastifyRequest): Dialect => (mediaType(request) === 'application/json' || jobFor(request)?.contentType === 'JSON' ? 'JSON' : 'XML');

  const version = (request: FastifyRequest): string => {
    const { version: v } = request.params as P;
    if (!/^\d+\.\d$/.test(v)) throw new AsyncError(404, 'InvalidUrl', `Invalid API version: ${v}`);
    return v;
  };
  const getJob = (request: FastifyRequest): ClassicJob => {
    version(request);
    const job = jobFor(request);
    if (!job) throw new AsyncError(400, 'InvalidJob', `Invalid job id: ${(request.params as P).jobId}`);
    advance(ctx, job);
    return job;
  };
  const getBatch = (request: FastifyRequest): { job: ClassicJob; batch: ClassicBatch } => {
    const job = getJob(request);
    const { batchId } = request.params as P;
    const batch = job.batches.find((b) => b.id === batchId);
    if (!batch) throw new AsyncError(400, 'InvalidBatch', `Invalid batch id: ${batchId}`);
    return { job, batch };
  };
  const handle =
    (fn: (request: FastifyRequest, reply: FastifyReply) => FastifyReply) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      try {
        return fn(request, reply);
      } catch (err) {
        if (err instanceof AsyncError) return sendError(reply, dialectOf(request), err);
        throw err;
      }
    };
  /** Processes the batch when it is due even if nobody polls, so other APIs see its rows then. */
  const wake = (jobId: string, at: number) => {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        const job = jobsOf(ctx.store.data)[jobId];
        if (job) advance(ctx, job);
      },
      Math.max(0, at - Date.now()) + 5,
    );
    timer.unref();
    timers.add(timer);
  };

  void app.register(
    async (api) => {
      // Batches and job infos are read as text here: a JSON query batch is SOQL, not JSON.
      api.removeContentTypeParser('application/json');
      for (const type of ['application/json', ...MEDIA.XML, ...MEDIA.CSV]) {
        if (!api.hasContentTypeParser(type)) api.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => done(null, body));
      }

      api.addHook('onRequest', async (request, reply) => {
        const session = request.headers['x-sfdc-session'];
        const userId = typeof session === 'string' && session.trim() ? tokenUser(ctx, session.trim()) : undefined;
        if (!userId) return sendError(reply, dialectOf(request), new AsyncError(400, 'InvalidSessionId', 'Invalid session id'));
        const usage = ctx.store.data.apiUsage;
        usage.used += 1;
        ctx.store.changed();
        if (usage.used > usage.max) return sendError(reply, dialectOf(request), new AsyncError(403, 'ExceededQuota', 'TotalRequests Limit exceeded.'));
      });

      api.setNotFoundHandler((request, reply) => {
        const [, resource] = request.url.split('?')[0].replace(/^\/services\/async\/?/, '').split('/');
        const err = resource && resource !== 'job' ? new AsyncError(400, 'InvalidOperation', `Unknown operation: ${resource}`) : new AsyncError(404, 'InvalidUrl', `Invalid URL: ${request.method} ${request.url.split('?')[0]}`);
        return sendError(reply, dialectOf(request), err);
      });
      api.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
        const status = err.statusCode ?? 500;
        if (status === 415) return sendError(reply, dialectOf(request), new AsyncError(400, 'ClientInputError', `Unsupported content type: ${mediaType(request)}`));
        if (status === 413) return sendError(reply, dialectOf(request), new AsyncError(400, 'ClientInputError', `Exceeded max size limit of ${MAX_BATCH_CHARS}`));
        if (status >= 400 && status < 500) return sendError(reply, dialectOf(request), new AsyncError(400, 'ClientInputError', err.message));
        return sendError(reply, dialectOf(request), new AsyncError(500, 'Unknown', 'An unexpected error occurred'));
      });

      api.post(
        '/:version/job',
        handle((request, reply) => {
          const job = newJob(ctx, version(request), tokenUser(ctx, String(request.headers['x-sfdc-session']).trim())!, jobBody(request));
          jobsOf(ctx.store.data)[job.id] = job;
          ctx.store.changed();
          return send(reply, mediaType(request) === 'application/json' ? 'JSON' : 'XML', 201, 'jobInfo', jobInfo(job));
        }),
      );

      api.get(
        '/:version/job/:jobId',
        handle((request, reply) => {
          const job = getJob(request);
          return send(reply, dialectOf(request), 200, 'jobInfo', jobInfo(job));
        }),
      );

      // Close or abort: only the state may be given.
      api.post(
        '/:version/job/:jobId',
        handle((request, reply) => {
          const job = getJob(request);
          const body = jobBody(request);
          const extra = Object.keys(body).find((k) => k !== 'state');
          if (extra) throw new AsyncError(400, 'InvalidJob', `${capitalized(extra)} cannot be specified`);
          const target = body.state;
          if (target !== 'Closed' && target !== 'Aborted') throw new AsyncError(400, 'InvalidJobState', `Invalid state change to ${target ?? '(none)'}: a job can only be Closed or Aborted`);
          if (job.state !== target) {
            if (job.state === 'Aborted' || job.state === 'Failed' || (job.state === 'Closed' && target === 'Closed')) throw new AsyncError(400, 'InvalidJobState', `Job ${job.id} is ${job.state}`);
            job.state = target;
            // An aborted job's batches that have not started are never processed.
            if (target === 'Aborted') {
              for (const batch of job.batches.filter((b) => b.state === 'Queued')) {
                batch.state = 'NotProcessed';
                batch.systemModstamp = asyncDateTime();
              }
            }
            job.systemModstamp = asyncDateTime();
            ctx.store.changed();
          }
          return send(reply, dialectOf(request), 200, 'jobInfo', jobInfo(job));
        }),
      );

      api.post(
        '/:version/job/:jobId/batch',
        handle((request, reply) => {
          const job = getJob(request);
          if (job.state !== 'Open') throw new AsyncError(400, 'InvalidJobState', `Job ${job.id} is not open for new batches; its state is ${job.state}`);
          const text = bodyText(request);
          checkBatchBody(job, request, text);
          const now = asyncDateTime();
          const batch: ClassicBatch = { id: nextId(ctx.store.data, '751'), jobId: job.id, state: 'Queued', createdDate: now, systemModstamp: now, request: text, ...schedule(job, text.length), results: [] };
          job.batches.push(batch);
          job.systemModstamp = now;
          ctx.store.changed();
          wake(job.id, batch.completeAt);
          return send(reply, dialectOf(request), 201, 'batchInfo', batchInfo(batch));
        }),
      );

      api.get(
        '/:version/job/:jobId/batch',
        handle((request, reply) => {
          const job = getJob(request);
          const infos = job.batches.map(batchInfo);
          if (dialectOf(request) === 'JSON') return send(reply, 'JSON', 200, 'batchInfoList', { batchInfo: infos });
          return send(reply, 'XML', 200, 'batchInfoList', {}, infos.map((info) => `<batchInfo>${xmlFields(info)}</batchInfo>`).join(''));
        }),
      );

      api.get(
        '/:version/job/:jobId/batch/:batchId',
        handle((request, reply) => send(reply, dialectOf(request), 200, 'batchInfo', batchInfo(getBatch(request).batch))),
      );

      api.get(
        '/:version/job/:jobId/batch/:batchId/request',
        handle((request, reply) => {
          const { job, batch } = getBatch(request);
          return reply.code(200).header('content-type', MEDIA[job.contentType][0]).send(batch.request);
        }),
      );

      api.get(
        '/:version/job/:jobId/batch/:batchId/result',
        handle((request, reply) => {
          const { job, batch } = getBatch(request);
          const partial = batch.state === 'Failed' && processedCount(batch) > 0;
          if (batch.state !== 'Completed' && !partial) throw new AsyncError(400, 'InvalidBatch', 'Batch not completed');
          if (batch.query) {
            if (job.contentType === 'JSON') return send(reply, 'JSON', 200, 'result-list', [batch.query.resultId]);
            return send(reply, 'XML', 200, 'result-list', {}, `<result>${batch.query.resultId}</result>`);
          }
          if (job.contentType === 'CSV') {
            const rows = batch.results.map((r) => [r.id ?? '', String(r.success), String(r.created), r.error ? csvError(r.error) : '']);
            return reply.code(200).header('content-type', 'text/csv').send(toCsv(['Id', 'Success', 'Created', 'Error'], rows));
          }
          if (job.contentType === 'JSON') {
            return send(reply, 'JSON', 200, 'results', batch.results.map((r) => ({ success: r.success, created: r.created, id: r.id, errors: r.error ? [r.error] : [] })));
          }
          const results = batch.results.map((r) => {
            const error = r.error ? `<errors>${r.error.fields.map((f) => `<fields>${escapeXml(f)}</fields>`).join('')}<message>${escapeXml(r.error.message)}</message><statusCode>${r.error.statusCode}</statusCode></errors>` : '';
            return `<result>${r.id ? `<id>${r.id}</id>` : ''}${error}<success>${r.success}</success><created>${r.created}</created></result>`;
          });
          return send(reply, 'XML', 200, 'results', {}, results.join(''));
        }),
      );

      api.get(
        '/:version/job/:jobId/batch/:batchId/result/:resultId',
        handle((request, reply) => {
          const { job, batch } = getBatch(request);
          const { resultId } = request.params as P;
          if (!batch.query || batch.query.resultId !== resultId) throw new AsyncError(400, 'InvalidBatch', `Invalid result id: ${resultId}`);
          const { select, records } = batch.query;
          if (job.contentType === 'JSON') return send(reply, 'JSON', 200, 'queryResult', records);
          if (job.contentType === 'XML') return send(reply, 'XML', 200, 'queryResult', {}, records.map((r) => xmlRecord('records', r)).join(''));
          // Salesforce answers an empty CSV result with this line instead of a header.
          const csv = records.length ? toCsv(select, records.map((r) => csvRow(r, select))) : 'Records not found for this query';
          return reply.code(200).header('content-type', 'text/csv').send(csv);
        }),
      );
    },
    { prefix: '/services/async' },
  );
}
