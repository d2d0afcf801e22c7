import { applyRow, rowError, unknownColumn } from './bulk';
import { bulkQuery } from './bulk-query';
import { parseCsv } from './csv';
import { SfError } from './errors';
import { Org, type Effect } from './records';
import { commit, type Ctx } from './respond';
import { findObject } from './schema';
import type { SalesforceState } from './state';
import { parseXml, type XmlNode } from './xml';

/**
 * Bulk API 1.0 jobs and batches: the state they keep and how a batch is processed. Each batch is
 * processed on its own, whether or not its job is closed: Queued, then InProgress, then Completed
 * (or Failed when the batch as a whole cannot be read), its rows applied when it completes.
 */
export type ContentType = 'CSV' | 'XML' | 'JSON';
export const INGEST_OPERATIONS = ['insert', 'update', 'upsert', 'delete', 'hardDelete'] as const;
export const OPERATIONS = [...INGEST_OPERATIONS, 'query', 'queryAll'] as const;
export type ClassicOperation = (typeof OPERATIONS)[number];

export interface RowResult {
  id: string | null;
  success: boolean;
  created: boolean;
  error?: { statusCode: string; message: string; fields: string[] };
}

export interface ClassicBatch {
  id: string;
  jobId: string;
  state: 'Queued' | 'InProgress' | 'Completed' | 'Failed' | 'NotProcessed';
  stateMessage?: string;
  createdDate: string;
  systemModstamp: string;
  /** The request body as sent (GET …/request answers it). */
  request: string;
  /** When processing "starts" and "finishes", so pollers see Queued → InProgress → Completed. */
  startAt: number;
  completeAt: number;
  results: RowResult[];
  /** A query batch's one result set: the select list and the rows as the REST API shapes them. */
  query?: { resultId: string; select: string[]; records: Record<string, unknown>[] };
}

export interface ClassicJob {
  id: string;
  operation: ClassicOperation;
  object: string;
  createdById: string;
  createdDate: string;
  systemModstamp: string;
  state: 'Open' | 'Closed' | 'Aborted' | 'Failed';
  externalIdFieldName?: string;
  assignmentRuleId?: string;
  concurrencyMode: 'Parallel' | 'Serial';
  contentType: ContentType;
  apiVersion: string;
  batches: ClassicBatch[];
}

/** Salesforce refuses bigger batches: 10,000 records, 10,000,000 characters. */
export const MAX_BATCH_RECORDS = 10_000;
export const MAX_BATCH_CHARS = 10_000_000;

/** Bulk API 1.0 writes datetimes in UTC with a Z. */
export const asyncDateTime = (): string => new Date().toISOString();

export const jobsOf = (state: SalesforceState): Record<string, ClassicJob> => (state.bulkV1Jobs ??= {});

const isQuery = (job: ClassicJob): boolean => job.operation === 'query' || job.operation === 'queryAll';

/** Moves a job's batches along as time passes; due batches are processed in the order they were added. */
export function advance(ctx: Ctx, job: ClassicJob): void {
  const now = Date.now();
  for (const batch of job.batches) {
    if (batch.state === 'Queued' && now >= batch.startAt) {
      batch.state = 'InProgress';
      batch.systemModstamp = asyncDateTime();
      ctx.store.changed();
    }
    if (batch.state === 'InProgress' && now >= batch.completeAt) {
      try {
        if (isQuery(job)) runQuery(ctx, job, batch);
        else ingest(ctx, job, batch);
      } catch (err) {
        if (!(err instanceof BatchFailure)) throw err;
        batch.state = 'Failed';
        batch.stateMessage = err.message;
      }
      batch.systemModstamp = asyncDateTime();
      ctx.store.changed();
    }
  }
}

/** When a new batch of this size would start and finish: serial jobs run one batch after another. */
export function schedule(job: ClassicJob, size: number): { startAt: number; completeAt: number } {
  const now = Date.now();
  const previous = job.concurrencyMode === 'Serial' ? Math.max(0, ...job.batches.filter((b) => b.state === 'Queued' || b.state === 'InProgress').map((b) => b.completeAt)) : 0;
  const startAt = Math.max(now + 100, previous);
  return { startAt, completeAt: startAt + Math.min(2_000, 200 + Math.round(size / 1_000)) };
}

/** The whole batch cannot be processed; its message becomes the batch's stateMessage. */
class BatchFailure extends Error {}

function runQuery(ctx: Ctx, job: ClassicJob, batch: ClassicBatch): void {
  const state = ctx.store.data;
  try {
    const result = bulkQuery(state, batch.request.trim(), job.operation === 'queryAll', `/services/data/v${job.apiVersion}`);
    if (result.object.name !== job.object) {
      throw new BatchFailure(`InvalidBatch : Failed to process query: INVALID_TYPE_FOR_OPERATION: The root entity of the requested query (${result.object.name}) does not match the entity of the requested Bulk API Job (${job.object}).`);
    }
    state.counters['752'] = (state.counters['752'] ?? 0) + 1;
    batch.query = { resultId: `752${String(state.counters['752']).padStart(12, '0')}`, select: result.select, records: result.records };
    batch.state = 'Completed';
  } catch (err) {
    if (!(err instanceof SfError)) throw err;
    throw new BatchFailure(`InvalidBatch : Failed to process query: ${err.errorCode === 'INVALIDJOB' ? err.message.replace(/^InvalidJob : /, '') : `${err.errorCode}: ${err.message}`}`);
  }
}

/** An XML sObject as a record: nested elements are a relationship by external id, xsi:nil a null. */
function xmlRecord(node: XmlNode): Record<string, unknown> {
  const value = (field: XmlNode): unknown => {
    if (Object.entries(field.attrs).some(([k, v]) => k.endsWith(':nil') && v === 'true')) return null;
    if (field.children.length) return Object.fromEntries(field.children.map((c) => [c.name, value(c)]));
    return field.text;
  };
  return Object.fromEntries(node.children.map((field) => [field.name, value(field)]));
}

/** The batch's records, read the way its job's content type says; a batch that cannot be read fails whole. */
function records(job: ClassicJob, batch: ClassicBatch): Record<string, unknown>[] {
  if (job.contentType === 'CSV') {
    let rows: string[][];
    try {
      rows = parseCsv(batch.request);
    } catch (err) {
      throw new BatchFailure(`InvalidBatch : Failed to parse CSV. ${(err as Error).message}`);
    }
    const [header, ...data] = rows;
    if (!header) throw new BatchFailure('InvalidBatch : Failed to parse CSV header');
    const duplicate = header.find((col, i) => header.findIndex((c) => c.toLowerCase() === col.toLowerCase()) !== i);
    if (duplicate) throw new BatchFailure(`InvalidBatch : Duplicate header : ${duplicate}`);
    const unknown = unknownColumn(findObject(job.object)!, header);
    if (unknown) throw new BatchFailure(`InvalidBatch : Field name not found : ${unknown}`);
    return data.map((row) => Object.fromEntries(header.map((col, i) => [col, row[i] ?? ''])));
  }
  if (job.contentType === 'XML') {
    // Well-formedness was checked when the batch was added.
    const root = parseXml(batch.request);
    if (root.name !== 'sObjects' || root.children.some((c) => c.name !== 'sObject')) throw new BatchFailure('InvalidBatch : Failed to parse XML. Expected sObjects of sObject elements');
    return root.children.map(xmlRecord);
  }
  const parsed = JSON.parse(batch.request) as unknown;
  if (!Array.isArray(parsed) || parsed.some((r) => r === null || typeof r !== 'object' || Array.isArray(r))) throw new BatchFailure('InvalidBatch : Failed to parse JSON. Expected an array of records');
  return parsed as Record<string, unknown>[];
}

function ingest(ctx: Ctx, job: ClassicJob, batch: ClassicBatch): void {
  const input = records(job, batch);
  if (input.length > MAX_BATCH_RECORDS) throw new BatchFailure(`InvalidBatch : Records in a batch can't exceed ${MAX_BATCH_RECORDS}: ${input.length}`);
  const object = findObject(job.object)!;
  const org = new Org(ctx.store.data, job.createdById);
  const effects: Effect[] = [];
  for (const record of input) {
    const rowEffects: Effect[] = [];
    try {
      const { id, created } = applyRow(org, ctx.store.data, object, job.operation as (typeof INGEST_OPERATIONS)[number], job.externalIdFieldName, record, rowEffects, job.contentType === 'CSV');
      batch.results.push({ id, success: true, created });
      effects.push(...rowEffects.map((e) => ({ ...e, data: { ...e.data, bulkJobId: job.id, bulkBatchId: batch.id } })));
    } catch (err) {
      if (!(err instanceof SfError)) throw err;
      batch.results.push({ id: null, success: false, created: false, error: { statusCode: err.errorCode, message: err.message, fields: err.fields } });
    }
  }
  batch.state = 'Completed';
  commit(ctx, effects);
}

/** A failed row's error as CSV results write it. */
export const csvError = (error: NonNullable<RowResult['error']>): string => rowError(new SfError(400, error.statusCode, error.message, error.fields));

/** The counts jobInfo reports, summed over the job's batches. */
export function jobCounts(job: ClassicJob): Record<string, number> {
  const count = (state: ClassicBatch['state']) => job.batches.filter((b) => b.state === state).length;
  const processed = job.batches.reduce((n, b) => n + processedCount(b), 0);
  const failed = job.batches.reduce((n, b) => n + b.results.filter((r) => !r.success).length, 0);
  return {
    numberBatchesQueued: count('Queued'),
    numberBatchesInProgress: count('InProgress'),
    numberBatchesCompleted: count('Completed'),
    numberBatchesFailed: count('Failed'),
    numberBatchesTotal: job.batches.length,
    numberRecordsProcessed: processed,
    numberRetries: 0,
    apiVersion: Number(job.apiVersion),
    numberRecordsFailed: failed,
    totalProcessingTime: job.batches.reduce((n, b) => n + processingTime(b), 0),
    apiActiveProcessingTime: 0,
    apexProcessingTime: 0,
  };
}

export const processedCount = (batch: ClassicBatch): number => (batch.query ? batch.query.records.length : batch.results.length);
export const processingTime = (batch: ClassicBatch): number => (batch.state === 'Completed' || batch.state === 'Failed' ? batch.completeAt - batch.startAt : 0);
