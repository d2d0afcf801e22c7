import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isInternalRequest } from '../../core/system';
import { apiVersion } from './data-routes';
import { SfError } from './errors';
import { read, transaction, type Ctx } from './respond';
import { registerTreeRoute } from './sobject-tree';
import { UnresolvedReference, dispatch, resolveBody, resolveText } from './subrequests';

const MAX_SUBREQUESTS = 25;
const MAX_QUERIES = 5;
const METHODS = new Set(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']);
/** What a composite subrequest may call: sObject resources, query and queryAll, sObject Collections. */
const COMPOSABLE = /^\/services\/data\/v\d+\.\d\/(sobjects|query|queryAll|composite\/sobjects)(\/|\?|$)/;
const QUERY_OR_COLLECTION = /^\/services\/data\/v\d+\.\d\/(query|queryAll|composite\/sobjects)(\/|\?|$)/;
/** Subrequests inherit these from the composite call and may not set them. */
const INHERITED_HEADERS = new Set(['authorization', 'content-type', 'accept']);

const invalid = (message: string, code = 'INVALID_FIELD') => new SfError(400, code, message);
const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
function flag(body: Record<string, unknown>, name: string): boolean {
  const value = body[name];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalid(`Cannot deserialize value of type boolean from ${JSON.stringify(value)} for ${name}`, 'JSON_PARSER_ERROR');
  return value;
}

interface CompositeSubrequest {
  method: string;
  url: string;
  referenceId: string;
  body?: unknown;
  httpHeaders?: Record<string, string>;
}
interface SubResult {
  body: unknown;
  httpHeaders: Record<string, string>;
  httpStatusCode: number;
  referenceId: string;
}

/** The whole request is refused, before anything runs, when its shape breaks Salesforce's rules. */
function parseComposite(raw: unknown): { allOrNone: boolean; subrequests: CompositeSubrequest[] } {
  if (!isObject(raw)) throw invalid('The request body must be a JSON object with a compositeRequest array', 'JSON_PARSER_ERROR');
  const allOrNone = flag(raw, 'allOrNone');
  flag(raw, 'collateSubrequests');
  const list = raw.compositeRequest;
  if (!Array.isArray(list) || list.length === 0) throw invalid('compositeRequest is required and must be a non-empty array', 'JSON_PARSER_ERROR');
  if (list.length > MAX_SUBREQUESTS) throw invalid(`A composite request can contain at most ${MAX_SUBREQUESTS} subrequests; this one has ${list.length}`, 'LIMIT_EXCEEDED');
  const seen = new Set<string>();
  let queries = 0;
  const subrequests = list.map((item, index): CompositeSubrequest => {
    if (!isObject(item)) throw invalid(`compositeRequest[${index}] must be an object`, 'JSON_PARSER_ERROR');
    const { method, url, referenceId, body, httpHeaders } = item;
    if (typeof method !== 'string' || !METHODS.has(method)) throw invalid(`compositeRequest[${index}].method must be one of DELETE, GET, PATCH, POST, PUT`);
    if (typeof referenceId !== 'string' || !referenceId) throw invalid(`compositeRequest[${index}].referenceId is required`);
    if (!/^[A-Za-z0-9_]+$/.test(referenceId)) throw invalid(`Invalid referenceId ${referenceId}: a referenceId may contain only letters, numbers and underscores`);
    if (seen.has(referenceId)) throw invalid(`Duplicate referenceId provided in the request: ${referenceId}`);
    seen.add(referenceId);
    if (typeof url !== 'string' || !url) throw invalid(`compositeRequest[${index}].url is required`);
    if (!COMPOSABLE.test(url)) throw invalid(`The url ${url} of ${referenceId} is not supported in a composite request: use /services/data/vXX.X/ with sobjects, query, queryAll or composite/sobjects`);
    if (QUERY_OR_COLLECTION.test(url) && ++queries > MAX_QUERIES) throw invalid(`A composite request can contain at most ${MAX_QUERIES} query or sObject Collections subrequests`, 'LIMIT_EXCEEDED');
    if (httpHeaders !== undefined) {
      if (!isObject(httpHeaders) || Object.values(httpHeaders).some((v) => typeof v !== 'string')) throw invalid(`compositeRequest[${index}].httpHeaders must map header names to strings`, 'JSON_PARSER_ERROR');
      const inherited = Object.keys(httpHeaders).find((name) => INHERITED_HEADERS.has(name.toLowerCase()));
      if (inherited) throw invalid(`The ${inherited} header can't be set on a subrequest; subrequests use the composite request's`);
    }
    return { method, url, referenceId, body, httpHeaders: httpHeaders as Record<string, string> | undefined };
  });
  return { allOrNone, subrequests };
}

const halted = (referenceId: string, message: string): SubResult => ({
  body: [{ errorCode: 'PROCESSING_HALTED', message }],
  httpHeaders: {},
  httpStatusCode: 400,
  referenceId,
});
const ROLLED_BACK = 'The transaction was rolled back since another operation in the same transaction failed.';

/**
 * The subrequests in order, each seeing the earlier answers through its references. With allOrNone
 * the first failure stops the run and every other subrequest answers PROCESSING_HALTED (the caller
 * rolls the writes back); without it, only those that reference a failed answer are skipped.
 */
async function runSubrequests(app: FastifyInstance, request: FastifyRequest, subrequests: CompositeSubrequest[], allOrNone: boolean): Promise<{ results: SubResult[]; failed: boolean }> {
  const answers = new Map<string, unknown>();
  const results: SubResult[] = [];
  let failed = false;
  for (const sub of subrequests) {
    if (failed && allOrNone) {
      results.push(halted(sub.referenceId, ROLLED_BACK));
      continue;
    }
    let url: string;
    let body: unknown;
    try {
      url = resolveText(sub.url, answers);
      body = sub.body === undefined ? undefined : resolveBody(sub.body, answers);
    } catch (err) {
      if (!(err instanceof UnresolvedReference)) throw err;
      results.push(halted(sub.referenceId, err.message));
      failed = true;
      continue;
    }
    const res = await dispatch(app, request, { method: sub.method, url, body, headers: sub.httpHeaders });
    results.push({ body: res.body, httpHeaders: res.headers, httpStatusCode: res.status, referenceId: sub.referenceId });
    if (res.status < 400) answers.set(sub.referenceId, res.body);
    else failed = true;
  }
  if (failed && allOrNone) return { failed, results: results.map((r) => (r.httpStatusCode < 400 ? halted(r.referenceId, ROLLED_BACK) : r)) };
  return { failed, results };
}

/**
 * One transaction at a time, and none while other requests are being handled: its rollback puts
 * back the whole store, so a write of another caller must not land inside it. Other requests
 * wait at their preHandler while a transaction runs; a transaction waits for those in flight.
 */
class TransactionGate {
  private inFlight = new Set<FastifyRequest>();
  private running?: Promise<void>;
  private drained: (() => void)[] = [];

  async enter(request: FastifyRequest): Promise<void> {
    while (this.running) await this.running;
    this.inFlight.add(request);
  }

  leave(request: FastifyRequest): void {
    if (this.inFlight.delete(request) && this.inFlight.size === 0) this.drained.splice(0).forEach((wake) => wake());
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    while (this.running) await this.running;
    let release!: () => void;
    this.running = new Promise((resolve) => (release = resolve));
    try {
      // A request that never answers must not block the org for good: wait for stragglers a while only.
      if (this.inFlight.size) await Promise.race([new Promise<void>((resolve) => this.drained.push(resolve)), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
      return await work();
    } finally {
      this.running = undefined;
      release();
    }
  }
}

export function registerCompositeRoutes(app: FastifyInstance, ctx: Ctx): void {
  const prefix = '/services/data/:version';
  const gate = new TransactionGate();
  const compositeRoute = `${prefix}/composite`;

  // Subrequests run inside the request that carries them, which is itself in flight (or is the transaction).
  app.addHook('preHandler', async (request) => {
    if (!request.url.startsWith('/services/data/') || isInternalRequest(request)) return;
    if (request.routeOptions.url === compositeRoute && isObject(request.body) && request.body.allOrNone === true) return;
    await gate.enter(request);
  });
  app.addHook('onResponse', async (request) => gate.leave(request));
  app.addHook('onRequestAbort', async (request) => gate.leave(request));

  app.post(compositeRoute, async (request, reply) =>
    read(reply, async () => {
      apiVersion(request);
      const { allOrNone, subrequests } = parseComposite(request.body);
      if (!allOrNone) return { status: 200, body: { compositeResponse: (await runSubrequests(app, request, subrequests, false)).results } };
      let results: SubResult[] = [];
      await gate.exclusive(() =>
        transaction(ctx, async () => {
          const run = await runSubrequests(app, request, subrequests, true);
          results = run.results;
          return !run.failed;
        }),
      );
      return { status: 200, body: { compositeResponse: results } };
    }),
  );

  app.post(`${prefix}/composite/batch`, async (request, reply) =>
    read(reply, async () => {
      const version = apiVersion(request);
      const { haltOnError, subrequests } = parseBatch(request.body, version);
      const results: { statusCode: number; result: unknown }[] = [];
      let halt = false;
      for (const [index, sub] of subrequests.entries()) {
        if (halt) {
          results.push({ statusCode: 412, result: [{ errorCode: 'BATCH_PROCESSING_HALTED', message: 'Batch processing halted per request' }] });
          continue;
        }
        // Unlike composite, each batch subrequest is an API call (the batch itself was counted as the first).
        if (index > 0 && !countCall(ctx)) {
          results.push({ statusCode: 403, result: [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' }] });
          halt = haltOnError;
          continue;
        }
        const res = await dispatch(app, request, sub);
        results.push({ statusCode: res.status, result: res.body });
        if (res.status >= 400 && haltOnError) halt = true;
      }
      return { status: 200, body: { hasErrors: results.some((r) => r.statusCode >= 400), results } };
    }),
  );

  registerTreeRoute(app, ctx);
}

/** One more call against the daily allowance, as the data hook counts one; false once it is spent. */
function countCall(ctx: Ctx): boolean {
  const usage = ctx.store.data.apiUsage;
  usage.used += 1;
  ctx.store.changed();
  return usage.used <= usage.max;
}

/**
 * Batch subrequests name their resource from the version on (`v62.0/sobjects/...`); a malformed
 * one refuses the whole batch before anything runs, whatever haltOnError says.
 */
function parseBatch(raw: unknown, version: string): { haltOnError: boolean; subrequests: { method: string; url: string; body?: unknown }[] } {
  if (!isObject(raw)) throw invalid('The request body must be a JSON object with a batchRequests array', 'JSON_PARSER_ERROR');
  const haltOnError = flag(raw, 'haltOnError');
  const list = raw.batchRequests;
  if (!Array.isArray(list) || list.length === 0) throw invalid('batchRequests is required and must be a non-empty array', 'JSON_PARSER_ERROR');
  if (list.length > MAX_SUBREQUESTS) throw invalid(`A batch request can contain at most ${MAX_SUBREQUESTS} subrequests; this one has ${list.length}`, 'LIMIT_EXCEEDED');
  const subrequests = list.map((item, index) => {
    if (!isObject(item)) throw invalid(`batchRequests[${index}] must be an object`, 'JSON_PARSER_ERROR');
    const { method, url, richInput, binaryPartName } = item;
    if (typeof method !== 'string' || !METHODS.has(method.toUpperCase())) throw invalid(`batchRequests[${index}].method must be one of DELETE, GET, PATCH, POST, PUT`);
    if (typeof url !== 'string') throw invalid(`batchRequests[${index}].url is required`);
    const match = /^(?:\/services\/data\/|\/)?v(\d+\.\d)(\/.*)$/.exec(url);
    if (!match) throw invalid(`batchRequests[${index}].url must start with the API version, as v${version}/sobjects/...`);
    if (Number(match[1]) > Number(version)) throw invalid(`batchRequests[${index}].url asks for API version ${match[1]}, later than the batch's ${version}`);
    if (/^\/composite(\/batch)?\/?(\?|$)/.test(match[2])) throw invalid(`batchRequests[${index}]: a composite or batch request can't be nested in a batch`);
    if (binaryPartName !== undefined) throw invalid(`batchRequests[${index}]: binary parts need a multipart request, which this org does not accept`);
    return { method: method.toUpperCase(), url: `/services/data/v${match[1]}${match[2]}`, body: richInput };
  });
  return { haltOnError, subrequests };
}
