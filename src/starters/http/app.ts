import { randomUUID } from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ApiConfig } from '../../config/api';
import type { Config } from '../../config';
import type { EventsConfig } from '../../config/events';
import type { SloConfig } from '../../config/slo';
import { createLogger, type Logger } from '../../observability/logger';
import { installAuth } from './auth';
import { installEdges } from './edges';
import { installLifecycle, lifecycleTable, type OperationRoute } from './lifecycle';
import { installMetrics } from './metrics';
import { installRequestTracing } from './tracing';
import { mountOperation, openApiDocument } from './operations';
import { Problem, sendProblem, toProblem } from './problems';
import { backfillOperations } from './routes/backfills';
import { caseOperations } from './routes/cases';
import type { RouteDeps } from './routes/deps';
import { eventIngestion } from './routes/events';
import { stockEventIngestion } from './routes/stock-events';
import { mountHealth } from './routes/health';
import { requestTimeouts } from '../server-timeouts';
import { orderOperations } from './routes/orders';
import { processOperations } from './routes/processes';
import { reconciliationOperations } from './routes/reconciliations';
import { sloOperations } from './routes/slo';
import { startOperations } from './routes/starts';
import { createCaseFacts, type CaseFactsService } from '../../services/case-facts';
import { createMasterData, type MasterDataService } from '../../services/master-data';
import { masterDataOperations } from './routes/master-data';
import { OrderOverviewSchema } from '../../services/order-overview';

export interface AppDeps {
  client: Client;
  config: Config;
  api: ApiConfig;
  overview?: (orderNumber: string) => Promise<unknown>;
  /** Reads a case's facts before a start; built from the config (and closed with the app) when omitted. */
  caseFacts?: CaseFactsService;
  logger?: Logger;
  /** Customer, availability, prices and return authorizations; built from the config (and closed with the app) when omitted. */
  masterData?: MasterDataService;
  /** Event ingestion settings (signing secrets, orderSync defaults); from the environment when omitted. */
  events?: EventsConfig;
  /** The SLOs and the worker metrics endpoints GET /v1/slo reads; from the environment when omitted. */
  slo?: SloConfig;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A hop count trusts that many proxies nearest the server (fastify's types take it as a function). */
const trustProxyOption = (trust: ApiConfig['trustProxy']) => (typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : trust);

/**
 * The HTTP API that Salesforce Flows, Apex and operators call (not listening: main.ts or a test does).
 * Request lifecycle: request id → caller identified → rate limit per caller → scope (401/403) → body
 * (capped) → zod → the process client functions → a small flat answer, or a problem (application/json, or
 * application/problem+json when Accept asks for it).
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const logger = deps.logger ?? createLogger({ level: deps.config.log.level, format: deps.config.log.format, context: { component: 'api' } });
  const caseFacts = deps.caseFacts ?? createCaseFacts(deps.config);
  const masterData = deps.masterData ?? createMasterData(deps.config);
  const routeDeps: RouteDeps = { ...deps, logger, caseFacts };
  const app = Fastify({
    logger: false,
    bodyLimit: deps.api.bodyLimitBytes,
    ...requestTimeouts(deps.api.requestTimeoutMs),
    // Callers' ids are echoed when sane, so a Flow's or a proxy's id follows the request through our logs.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Workflow ids contain '/', sent encoded as one segment: allow long ones.
    routerOptions: { maxParamLength: 512 },
    // Behind a load balancer request.ip is the client only when the proxies are named (API_TRUST_PROXY).
    trustProxy: trustProxyOption(deps.api.trustProxy),
    // The router's own refusals (an over-long path parameter, a malformed URL) are problem documents too, and a documented 400.
    frameworkErrors: (err, request, reply) => {
      reply.header('x-request-id', request.id);
      const detail = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path parameter is too long' : 'the URL is malformed';
      return sendProblem(request, reply, new Problem(400, 'validation', 'Invalid request', detail, { errors: [{ path: 'path', code: 'invalid', message: detail }] }));
    },
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.setErrorHandler((err, request, reply) => {
    const problem = toProblem(err);
    // Unexpected failures with their stack; deliberate 5xx answers (Temporal down, not ready) as a warning.
    if (problem.status >= 500 && problem !== err) logger.error('request failed', { requestId: request.id, method: request.method, url: request.url, status: problem.status, error: err instanceof Error ? err.stack : String(err) });
    else if (problem.status >= 500) logger.warn('request not served', { requestId: request.id, url: request.url, status: problem.status, type: problem.slug });
    return sendProblem(request, reply, problem);
  });
  installEdges(app);
  installRequestTracing(app);

  installAuth(app, deps.api.keys);
  const metrics = installMetrics(app);
  await app.register(fastifyRateLimit, {
    max: deps.api.rateLimitMax,
    timeWindow: deps.api.rateLimitWindowMs,
    // Per API key, so one busy Flow cannot starve the others; callers without a valid key share per address.
    keyGenerator: (request) => (request.principal ? `key:${request.principal.name}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) => new Problem(429, 'rate-limited', 'Too many requests', `rate limit of ${context.max} requests exceeded; retry after ${context.after}`),
  });

  const processes = processOperations(routeDeps);
  const operations = [...startOperations(routeDeps), ...processes, ...caseOperations(processes, routeDeps), ...orderOperations(routeDeps, OrderOverviewSchema), ...backfillOperations(routeDeps), ...reconciliationOperations(routeDeps), ...sloOperations(deps.slo), ...masterDataOperations(masterData)];
  const events = eventIngestion(routeDeps, deps.events, metrics);
  const stockEvents = stockEventIngestion(routeDeps, deps.events);
  const documented = [...operations, events.operation, stockEvents.operation];
  // Order events also arrive at /v1/events (the source in a header): the same operation.
  const routes: OperationRoute[] = [...documented.map(({ operationId, method, path }) => ({ operationId, method, path })), { operationId: events.operation.operationId, method: 'post', path: '/v1/events' }];
  const lifecycle = lifecycleTable(routes, deps.api.deprecations);
  installLifecycle(app, routes, lifecycle, metrics);
  const spec = openApiDocument(documented, deps.api, lifecycle);
  await app.register(fastifySwagger, { mode: 'static', specification: { document: spec as never } });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  mountHealth(app, routeDeps, metrics, spec);
  for (const op of operations) mountOperation(app, op);
  await app.register(events.routes);
  await app.register(stockEvents.routes);

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    const quiet = route === '/healthz' || route === '/readyz' || route === '/metrics' || route?.startsWith('/docs');
    logger.log(quiet ? 'debug' : 'info', 'request', {
      requestId: request.id,
      method: request.method,
      route: route ?? 'unmatched',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      caller: request.principal?.name,
    });
  });
  // Connectors the app made itself are released with it (a given reader belongs to its owner).
  if (!deps.caseFacts) app.addHook('onClose', async () => caseFacts.close());
  if (!deps.masterData) app.addHook('onClose', async () => masterData.close());
  return app;
}
